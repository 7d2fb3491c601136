import { writeFile } from "node:fs/promises";
import path from "node:path";
import { documentJson } from "../src/openapi/document.ts";

/** `pnpm openapi`: writes the committed `openapi.json` at the repository root. */
export const OPENAPI_FILE = path.join(import.meta.dirname, "..", "..", "..", "openapi.json");

if (process.argv[1] === import.meta.filename) {
  await writeFile(OPENAPI_FILE, documentJson());
  console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
}
