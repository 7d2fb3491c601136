import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createSmsSender } from "../sms/sender.ts";
import { checkLink, issueLink } from "./email-link.ts";
import { CODE_RESEND, checkCode, issueCode, resendWait } from "./one-time-code.ts";

const SETTINGS = { code_length: 6, ttl_seconds: 600, max_attempts: 3 };
const NOW = new Date("2026-12-02T00:00:00Z");
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const known = { value: "ada@example.com", userId: "usr_1", signUp: false };

describe("one-time codes", () => {
  it("keeps only a hash, accepts the code once, and not in another sign-in", () => {
    const { code, challenge } = issueCode("uid-1", undefined, known, SETTINGS, NOW);
    expect(code).toMatch(/^\d{6}$/);
    expect(JSON.stringify(challenge)).not.toContain(code);
    expect(checkCode("uid-2", challenge, code ?? "", SETTINGS, NOW).check.ok).toBe(false);
    const first = checkCode("uid-1", challenge, ` ${code} `, SETTINGS, NOW);
    expect(first.check.ok).toBe(true);
    expect(checkCode("uid-1", first.challenge, code ?? "", SETTINGS, NOW).check.ok).toBe(false);
  });

  it("refuses a malformed code without counting it, an expired one, and kills it after max_attempts", () => {
    const { code, challenge } = issueCode("uid", undefined, known, SETTINGS, NOW);
    const malformed = checkCode("uid", challenge, "12345", SETTINGS, NOW);
    expect(malformed.check).toEqual({ ok: false, reason: "malformed" });
    expect(malformed.challenge?.attempts).toBe(0);
    expect(checkCode("uid", challenge, code ?? "", SETTINGS, later(600)).check).toEqual({
      ok: false,
      reason: "expired",
    });
    const wrong = code === "000000" ? "111111" : "000000";
    let current = challenge;
    for (const reason of ["wrong", "wrong", "too_many_attempts"]) {
      const result = checkCode("uid", current, wrong, SETTINGS, NOW);
      expect(result.check).toEqual({ ok: false, reason });
      current = result.challenge ?? current;
    }
    expect(checkCode("uid", current, code ?? "", SETTINGS, NOW).check).toEqual({
      ok: false,
      reason: "too_many_attempts",
    });
  });

  it("sends nothing to nobody, and nothing matches then", () => {
    const { code, challenge } = issueCode("uid", undefined, { ...known, userId: null }, SETTINGS, NOW);
    expect(code).toBeNull();
    expect(checkCode("uid", challenge, "123456", SETTINGS, NOW).check.ok).toBe(false);
  });

  it("limits resends: an interval, then a cap per sign-in", () => {
    let challenge = issueCode("uid", undefined, known, SETTINGS, NOW).challenge;
    expect(resendWait(challenge, known.value, NOW)).toBe(CODE_RESEND.intervalSeconds);
    expect(resendWait(challenge, "other@example.com", NOW)).toBe(0);
    let at = NOW;
    for (let i = 1; i < CODE_RESEND.maxSends; i++) {
      at = new Date(at.getTime() + CODE_RESEND.intervalSeconds * 1000);
      expect(resendWait(challenge, known.value, at)).toBe(0);
      challenge = issueCode("uid", challenge, known, SETTINGS, at).challenge;
    }
    expect(challenge.sends).toBe(CODE_RESEND.maxSends);
    expect(resendWait(challenge, known.value, new Date(at.getTime() + 60_000))).toBe(SETTINGS.ttl_seconds - 60);
  });
});

describe("sign-in links", () => {
  it("works once, until ttl_seconds, and only with its own token", () => {
    const { token, challenge } = issueLink(undefined, known, 900, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(challenge)).not.toContain(token);
    expect(checkLink(challenge, "x".repeat(43), NOW).check).toEqual({ ok: false, reason: "invalid" });
    expect(checkLink(challenge, token ?? "", later(900)).check).toEqual({ ok: false, reason: "expired" });
    const used = checkLink(challenge, token ?? "", NOW);
    expect(used.check.ok).toBe(true);
    expect(checkLink(used.challenge, token ?? "", NOW).check).toEqual({ ok: false, reason: "used" });
    const newer = issueLink(used.challenge, known, 900, NOW);
    expect(checkLink(newer.challenge, token ?? "", NOW).check).toEqual({ ok: false, reason: "invalid" });
  });
});

describe("SMS sender", () => {
  it("posts {to, body} as JSON to the webhook and fails on a non-2xx answer, never logging the body", async () => {
    const bodies: unknown[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => {
        raw += chunk.toString("utf8");
      });
      req.on("end", () => {
        bodies.push({ type: req.headers["content-type"], body: JSON.parse(raw) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const logged: string[] = [];
    const sender = createSmsSender({
      webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      outboxDir: "/nonexistent",
      log: (message) => logged.push(message),
    });
    expect(sender.transport).toBe("webhook");
    await sender.send({ to: "+14155550123", body: "123456 is your code" });
    expect(bodies).toEqual([{ type: "application/json", body: { to: "+14155550123", body: "123456 is your code" } }]);
    status = 500;
    await expect(sender.send({ to: "+14155550123", body: "654321 is your code" })).rejects.toThrow(
      /^SMS webhook answered 500$/,
    );
    expect(logged).toEqual([]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("without a webhook writes the outbox and the log, for a developer", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "authpi-sms-"));
    const logged: unknown[] = [];
    const sender = createSmsSender({ outboxDir: dir, log: (message, fields) => logged.push({ message, fields }) });
    expect(sender.transport).toBe("outbox");
    await sender.send({ to: "+14155550123", body: "123456 is your code" });
    const [file] = await readdir(dir);
    expect(await readFile(path.join(dir, file ?? ""), "utf8")).toContain("123456 is your code");
    expect(JSON.stringify(logged)).toContain("123456");
  });
});
