declare module "vitest" {
  export interface ProvidedContext {
    /** The run's migrated test database (see global-setup.ts). */
    databaseUrl: string;
  }
}

export {};
