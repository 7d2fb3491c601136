import type { TestProject } from "vitest/node";
import { loadEnv } from "../env.ts";
import { provisionTestDatabase } from "./database.ts";
import "./provided.ts";

/** vitest globalSetup: one migrated database per test run, dropped at the end. */
export default async function setup(project: TestProject) {
  const database = await provisionTestDatabase(loadEnv().DATABASE_URL);
  project.provide("databaseUrl", database.url);
  return () => database.drop();
}
