export class JsonText<T = unknown> {
  declare readonly __type?: T;
  constructor(readonly json: string) {}
}
