import { rm } from "node:fs/promises";
import { writeJsonAtomic } from "./atomic-file";
import { join } from "node:path";

/**
 * Per-stack staging under the state dir: the manifest (and later database dumps) that go
 * into the stack's snapshot. The path is stable across runs so snapshots line up.
 */
export function stagingDir(stateDir: string, stack: string): string {
  return join(stateDir, "staging", stack.replace(/[^A-Za-z0-9_.-]/g, "_"));
}

export function writeStagedJson(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeJsonAtomic(file, value);
  return file;
}

/** Async: a staging dir holds database dumps, which can be large (see removeTree). */
export function clearStaging(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
