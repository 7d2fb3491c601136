import { JsonText, type Versioned } from "@authpi/server";

/** A service answer built as JSON text by Postgres, decoded for tRPC (which serializes it again). */
export function decoded<T>(value: JsonText<T> | T): T {
  return value instanceof JsonText ? (JSON.parse(value.json) as T) : value;
}

export function decodedVersioned<T>(result: Versioned<JsonText<T> | T>): Versioned<T> {
  return { value: decoded(result.value), etag: result.etag };
}
