import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface FsEntry {
  type: "file" | "dir" | "symlink" | "other";
  size: number;
  mtimeMs: number;
}

/** Every entry under root (inclusive), keyed by absolute path. Missing root: empty map. */
export function walk(root: string, limit = 5_000_000): Map<string, FsEntry> {
  const out = new Map<string, FsEntry>();
  const visit = (p: string) => {
    if (out.size >= limit) return;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
    out.set(p, { type, size: st.size, mtimeMs: st.mtimeMs });
    if (type === "dir") {
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {
        return;
      }
      for (const n of names) visit(join(p, n));
    }
  };
  visit(root);
  return out;
}
