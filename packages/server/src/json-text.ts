export class JsonText<T> {
  constructor(readonly json: string) {}
}
