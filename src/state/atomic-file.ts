import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** JSON, mode 0600 in a directory made 0700: see writeTextAtomic. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeTextAtomic(file, JSON.stringify(value, null, 2) + "\n", 0o600);
}

/**
 * Writes a file so that a reader (or a crash) never sees half of it: temp file, fsync, rename,
 * fsync of the directory. The temp file has a random name and is created exclusively (O_EXCL:
 * an existing file or symlink of that name fails the write, it is never followed), so nothing
 * planted beside the file can make us write somewhere else.
 */
export function writeTextAtomic(file: string, text: string, mode: number): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(8).toString("hex")}`);
  const fd = openSync(tmp, "wx", mode);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
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
