export * from "./common.ts";
export * from "./errors.ts";
export * from "./etag.ts";
export * from "./ids.ts";
export * from "./issuer/rules.ts";
export * from "./issuer/schema.ts";
export * from "./merge-patch.ts";
