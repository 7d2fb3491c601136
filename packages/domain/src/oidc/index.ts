export * from "./claims.ts";
export * from "./session.ts";
export * from "./signup.ts";
