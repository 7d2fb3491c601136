import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Writes one message (a mail, an SMS) as a file of the development outbox, readable only by its
 * owner, and returns the file's path. Used when no real transport is configured.
 */
export async function writeToOutbox(dir: string, to: string, content: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `${new Date().toISOString().replaceAll(":", "-")}-${to.replace(/[^A-Za-z0-9@._+-]/g, "_")}.txt`;
  const file = path.join(dir, name);
  await writeFile(file, content, { mode: 0o600 });
  return file;
}
