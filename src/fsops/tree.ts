import { lstatSync, readdirSync, type Stats } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";

export interface FsEntry {
  type: "file" | "dir" | "symlink" | "other";
  size: number;
  mtimeMs: number;
}

/** Entries read between two yields to the event loop: a big tree never holds signals and timers for long. */
const SLICE = 2000;

/** Every entry under root (inclusive), keyed by absolute path. Missing root: empty map. */
export async function walk(root: string, limit = 5_000_000): Promise<Map<string, FsEntry>> {
  const out = new Map<string, FsEntry>();
  const pending = [root];
  let sinceYield = 0;
  while (pending.length && out.size < limit) {
    if (++sinceYield >= SLICE) {
      sinceYield = 0;
      await yieldToLoop();
    }
    const p = pending.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
    out.set(p, { type, size: st.size, mtimeMs: st.mtimeMs });
    if (type !== "dir") continue;
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch {
      continue;
    }
    for (let i = names.length - 1; i >= 0; i--) pending.push(join(p, names[i]));
  }
  return out;
}

/**
 * Every entry under dir (inclusive), depth first, with its lstat: symlinks are never followed.
 * Lazy: a directory's names are read only once the caller asks for the next entry, so a caller
 * that stops at an entry (a mount point, a link out) never reads below it.
 */
export function* lstatTree(dir: string): Generator<{ path: string; stat: Stats }> {
  const stack = [dir];
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    const stat = lstatSync(p);
    yield { path: p, stat };
    if (stat.isDirectory()) for (const e of readdirSync(p)) stack.push(join(p, e));
  }
}
