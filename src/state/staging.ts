import { mkdirSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";

/**
 * Per-stack staging under the state dir: the manifest (and later database dumps) that go
 * into the stack's snapshot. The path is stable across runs so snapshots line up.
 */
export function stagingDir(stateDir: string, stack: string): string {
  return join(stateDir, "staging", stack.replace(/[^A-Za-z0-9_.-]/g, "_"));
}

export function writeStagedJson(dir: string, name: string, value: unknown): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return file;
}

export function clearStaging(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
