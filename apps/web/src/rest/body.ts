import { ClientAborted } from "@authpi/api";
import { DomainError } from "@authpi/domain";

export const MAX_BODY_BYTES = 100 * 1024;

/** The raw body, 413 over 100 KB (checked on the declared length and while reading). */
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
  return Buffer.concat(chunks);
}

function tooLarge(): DomainError {
  return new DomainError("body_too_large", `The request body must be at most ${MAX_BODY_BYTES / 1024} KB`);
}

/**
 * Parses a JSON object body: 415 unless `application/json`, 400 `invalid_json`
 * for anything JSON.parse refuses or for a non-object. (The JSON safety check
 * runs in the pipeline, for every door.)
 */
export function parseJsonObject(contentType: string | null, bytes: Uint8Array): Record<string, unknown> {
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
