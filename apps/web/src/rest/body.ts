import type { IncomingMessage } from "node:http";
import { ClientAborted } from "@authpi/api";
import { DomainError } from "@authpi/domain";

export const MAX_BODY_BYTES = 100 * 1024;

/** The raw body of a fetch Request (the tRPC door), 413 over 100 KB (checked on the declared length and while reading). */
export async function readLimited(request: Request): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new ClientAborted(error);
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  // The stream may simply end when the client hangs up: fewer bytes than declared is an abort.
  if (declared !== null && size < Number(declared)) throw new ClientAborted();
  return Buffer.concat(chunks);
}

/**
 * The same for a Node request (the REST door): the same cap, and a client that
 * hangs up mid-body is an abort, not a failure.
 */
export function readLimitedNode(req: IncomingMessage): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        // Stop reading; the answer closes the connection (the pipeline sets `connection: close`).
        req.pause();
        return settle(tooLarge());
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      // Fewer bytes than declared means the client hung up.
      settle(declared !== undefined && size < Number(declared) ? new ClientAborted() : undefined);
    const onError = (error: Error) => settle(new ClientAborted(error));
    const onClose = () => settle(req.complete ? undefined : new ClientAborted());
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

function tooLarge(): DomainError {
  return new DomainError("body_too_large", `The request body must be at most ${MAX_BODY_BYTES / 1024} KB`);
}

/**
 * Parses a JSON object body: 415 unless `application/json`, 400 `invalid_json`
 * for anything JSON.parse refuses or for a non-object. (The JSON safety check
 * runs in the pipeline, for every door.)
 */
export function parseJsonObject(contentType: string | null | undefined, bytes: Uint8Array): Record<string, unknown> {
  const mediaType = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new DomainError(
      "unsupported_media_type",
      "The request body must be JSON sent as Content-Type: application/json",
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new DomainError("invalid_json", "The request body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError("invalid_json", "The request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DomainError("invalid_json", "The request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
