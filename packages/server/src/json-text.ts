/**
 * JSON as Postgres wrote it, sent on as it is: the text, or (`"hex"`, a list
 * page) the hex of its UTF-8 bytes, which the REST door writes with Node's
 * hex encoding, never holding the JSON as a string of its own.
 */
export class JsonText<T = unknown> {
  declare readonly __type?: T;
  constructor(
    readonly body: string,
    readonly encoding: "utf8" | "hex" = "utf8",
  ) {}

  /** As text (the tRPC door, a stored idempotent answer). */
  get json(): string {
    return this.encoding === "hex" ? Buffer.from(this.body, "hex").toString("utf8") : this.body;
  }
}
