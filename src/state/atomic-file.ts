import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** JSON, mode 0600 in a directory made 0700: see writeTextAtomic. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeTextAtomic(file, JSON.stringify(value, null, 2) + "\n", 0o600);
}

/**
 * Writes a file so that a reader (or a crash) never sees half of it: temp file, fsync, rename,
 * fsync of the directory.
 */
export function writeTextAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  syncPath(tmp);
  renameSync(tmp, file);
  syncPath(dirname(file));
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
