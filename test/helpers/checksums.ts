import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";

/** relative path → sha256 (files), "dir", or "-> target" (symlinks), for whole-tree comparisons. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (p: string) => {
    const st = lstatSync(p);
    const rel = relative(root, p) || ".";
    if (st.isDirectory()) {
      out[rel] = "dir";
      for (const n of readdirSync(p).sort()) visit(join(p, n));
    } else if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
    else if (st.isFile()) out[rel] = createHash("sha256").update(readFileSync(p)).digest("hex");
  };
  visit(root);
  return out;
}
