/**
 * JSON as Postgres wrote it, sent on as it is: text, or its UTF-8 bytes (a list
 * page comes as bytes, so Node never decodes ≈ 60 KB into a string — a UTF-16
 * one as soon as a name holds a non-Latin-1 character — only to encode it again).
 */
export class JsonText<T = unknown> {
  declare readonly __type?: T;
  constructor(readonly body: string | Buffer) {}

  /** As text (the tRPC door, a stored idempotent answer). */
  get json(): string {
    return typeof this.body === "string" ? this.body : this.body.toString("utf8");
  }
}
