import { chmodSync, copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";

// Files and directories services make under the state directory (staging, scratch, the recovery
// kit, disaster files): private by default, since dumps and configs may hold data worth keeping in.

/** Makes dir (and its parents) if missing; a new directory is 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes a file readable by its owner only (0600 when created). */
export function writePrivateFile(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: 0o600 });
}

/** Writes a file readable by all (0644 when created): only text that holds no secret. */
export function writePublicFile(file: string, data: string): void {
  writeFileSync(file, data, { mode: 0o644 });
}

/** Copies an executable, runnable by all (0755). */
export function copyExecutable(from: string, to: string): void {
  copyFileSync(from, to);
  chmodSync(to, 0o755);
}

/** Removes a file or a whole directory; gone already is fine. Synchronous: for small things (see swap.ts removeTree). */
export function removePath(p: string): void {
  rmSync(p, { recursive: true, force: true });
}

/** Removes a file; gone already is fine (a directory there is an error). */
export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** Moves p to `to` by rename (same filesystem): kept, not deleted. */
export function moveAside(p: string, to: string): void {
  renameSync(p, to);
}
