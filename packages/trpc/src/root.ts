import { apiKeysRouter } from "./routers/api-keys.ts";
import { authRouter } from "./routers/auth.ts";
import { authMethodsRouter } from "./routers/auth-methods.ts";
import { eventsRouter } from "./routers/events.ts";
import { issuersRouter } from "./routers/issuers.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  issuers: issuersRouter,
  authMethods: authMethodsRouter,
  apiKeys: apiKeysRouter,
  events: eventsRouter,
});

/** The router's type, for a typed `@trpc/client` in internal services (see README). */
export type AppRouter = typeof appRouter;
