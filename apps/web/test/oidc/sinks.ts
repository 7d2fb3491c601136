import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { expect } from "vitest";

/** Real transports in the test process, which the hosted pages deliver codes and links to. */

export interface SmtpSink {
  url: string;
  received: Array<{ to: string; raw: string }>;
  /** The latest mail to `email` (waits for it), its quoted-printable soft line breaks joined. */
  mailTo(email: string): Promise<string>;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on a free port. */
export async function smtpSink(): Promise<SmtpSink> {
  const received: SmtpSink["received"] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => {
        raw += chunk.toString("utf8");
      });
      stream.on("end", () => {
        for (const to of session.envelope.rcptTo) received.push({ to: to.address, raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const { port } = smtp.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    async mailTo(email) {
      await expect.poll(() => received.some((mail) => mail.to === email)).toBe(true);
      return (received.filter((mail) => mail.to === email).at(-1)?.raw ?? "").replace(/=\r?\n/g, "");
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

export interface SmsSink {
  url: string;
  received: Array<{ to: string; body: string; contentType: string }>;
  /** The latest text to `phone` (waits for it). */
  smsTo(phone: string): Promise<string>;
  close(): Promise<void>;
}

/** A real HTTP server standing for an SMS provider's webhook: it records each JSON POST. */
export async function smsSink(): Promise<SmsSink> {
  const received: SmsSink["received"] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", () => {
      const { to, body } = JSON.parse(raw) as { to: string; body: string };
      received.push({ to, body, contentType: String(req.headers["content-type"]) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    received,
    async smsTo(phone) {
      await expect.poll(() => received.some((sms) => sms.to === phone)).toBe(true);
      return received.filter((sms) => sms.to === phone).at(-1)?.body ?? "";
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
