import { type AnyOperation, resources } from "@authpi/api";
import { type ProcedureFor, proceduresFor, router } from "./trpc.ts";

type Resources = typeof resources;
type RouterRecord = {
  [R in keyof Resources]: {
    [P in keyof Resources[R]]: Resources[R][P] extends AnyOperation ? ProcedureFor<Resources[R][P]> : never;
  };
};

/** Every declared operation as `resource.procedure` (`issuers.update`), derived from the one registry. */
export const appRouter = router(
  Object.fromEntries(Object.entries(resources).map(([name, ops]) => [name, proceduresFor(ops)])) as RouterRecord,
);

/** The router's type, for a typed `@trpc/client` in internal services (see README). */
export type AppRouter = typeof appRouter;
