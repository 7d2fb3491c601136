import { readFileSync } from "node:fs";
import { STATE_FILE } from "./global-setup.ts";

export interface Operator {
  account_id: string;
  api_key: string;
  admin_email: string;
  admin_password: string;
}

export interface E2eState {
  baseURL: string;
  databaseUrl: string;
  operatorA: Operator;
  operatorB: Operator;
}

/** What global-setup.ts prepared: two accounts, each with an operator and an API key. */
export function e2eState(): E2eState {
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as E2eState;
}
