/** JSON as Postgres wrote it, sent on as it is: the REST door writes the text, never parsing it. */
export class JsonText<T = unknown> {
  declare readonly __type?: T;
  constructor(readonly json: string) {}
}
