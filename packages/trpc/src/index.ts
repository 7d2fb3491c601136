export type { AuthMethodForm, AuthMethodFormField } from "./auth-method-forms.ts";
export { type Context, type CreateContextOptions, createContext } from "./context.ts";
export { SESSION_COOKIE } from "./cookie.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { type AccountPrincipal, createCallerFactory, type DomainErrorData } from "./trpc.ts";
