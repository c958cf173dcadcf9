import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** A file's identity: device and inode, after every symlink and /proc magic link is followed. */
export function identity(p: string): string | undefined {
  try {
    const s = statSync(p, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** The device a path lives on (after symlinks), or undefined when it does not exist. */
export function deviceOf(p: string): bigint | undefined {
  try {
    return statSync(p, { bigint: true }).dev;
  } catch {
    return undefined;
  }
}

/** "/a/b/c" → ["/", "/a", "/a/b", "/a/b/c"]: every component of an absolute path, outermost first. */
export function prefixes(abs: string): string[] {
  const out = ["/"];
  let cur = "";
  for (const part of resolve(abs).split("/").filter(Boolean)) out.push((cur = `${cur}/${part}`));
  return out;
}

/** The path as it really is: its deepest existing ancestor with symlinks resolved, the rest appended. */
export function canonicalPath(p: string): string {
  let head = resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      if (head === "/") return resolve(p);
      tail.push(basename(head));
      head = dirname(head);
    }
  }
}

/** Where a symlink leads (followed to the end as far as it exists), even when it dangles. */
export function linkDestination(link: string): string {
  let p = link;
  for (let hops = 0; hops < 40; hops++) {
    try {
      if (!lstatSync(p).isSymbolicLink()) return canonicalPath(p);
      p = resolve(dirname(p), readlinkSync(p));
    } catch {
      return canonicalPath(p);
    }
  }
  return p;
}

/** a is b, or inside b (both absolute and normalised). */
export function isInside(a: string, b: string): boolean {
  return a === b || a.startsWith(b === "/" ? "/" : `${b}/`);
}
