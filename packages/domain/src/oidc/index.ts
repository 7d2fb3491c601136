export * from "./claims.ts";
export * from "./mfa.ts";
export * from "./session.ts";
export * from "./signing-key.ts";
export * from "./signup.ts";
