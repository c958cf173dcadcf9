import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes JSON so that a reader (or a crash) never sees half a file: temp file, fsync,
 * rename, fsync of the directory. Mode 0600, directory 0700.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  syncPath(tmp);
  renameSync(tmp, file);
  syncPath(dir);
}

function syncPath(path: string): void {
  try {
    const fd = openSync(path, "r");
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // best effort (some filesystems refuse fsync on directories)
  }
}
