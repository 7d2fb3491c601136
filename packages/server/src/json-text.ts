/**
 * JSON as Postgres wrote it, sent on as it is: the REST door writes it,
 * never parsing it. One string, or a list page's pieces (`keysetPage`) with
 * their UTF-8 length.
 */
export class JsonText<T = unknown> {
  declare readonly __type?: T;
  readonly parts: readonly string[];
  constructor(
    body: string | readonly string[],
    /** The UTF-8 length, when known (a list page's, from Postgres's byte counts). */
    readonly bytes?: number,
  ) {
    this.parts = typeof body === "string" ? [body] : body;
  }

  /** The JSON as one string (for the doors and tests that parse it). */
  get json(): string {
    return this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join("");
  }
}
