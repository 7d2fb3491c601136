export type { AuthMethodForm, AuthMethodFormField } from "@authpi/api";
export { type Context, type CreateContextOptions, createContext } from "./context.ts";
export { SESSION_COOKIE } from "./cookie.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { createCallerFactory, type DomainErrorData } from "./trpc.ts";
