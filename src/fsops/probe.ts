import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  type Stats,
  statfsSync,
  statSync,
} from "node:fs";

// Questions services ask of paths on this host, without changing anything.

export function pathExists(p: string): boolean {
  return existsSync(p);
}

/** True when p is a regular file (symlinks followed); false when it is missing. */
export function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** The size of a file in bytes (throws when it is missing). */
export function fileSize(file: string): number {
  return statSync(file).size;
}

/** True when something is at p that a restore would replace: a file, a link, or a directory that is not empty. */
export function occupied(p: string): boolean {
  try {
    return !statSync(p).isDirectory() || readdirSync(p).length > 0;
  } catch {
    return false;
  }
}

/** True when p is a directory with nothing in it (missing: false; compare repo-files' isEmptyDir). */
export function isExistingEmptyDir(p: string): boolean {
  try {
    return statSync(p).isDirectory() && readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

/** A text file's content (UTF-8); throws when it cannot be read. */
export function readText(file: string): string {
  return readFileSync(file, "utf8");
}

/** The last n bytes of a file as text (the whole file when shorter): how a dump ends. */
export function readTail(file: string, n: number): string {
  const fd = openSync(file, "r");
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.min(n, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** The path with every symlink resolved (throws when it does not exist). */
export function realPath(p: string): string {
  return realpathSync(p);
}

/** Size and free space (for an unprivileged user) of the filesystem holding p, in bytes. */
export function filesystemSpace(p: string): { freeBytes: number; totalBytes: number } {
  const s = statfsSync(p);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

/** What stat says of p (symlinks followed), or undefined when nothing is there. */
export function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** The names in a directory (throws when it cannot be read). */
export function listDir(dir: string): string[] {
  return readdirSync(dir);
}
