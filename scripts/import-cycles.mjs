#!/usr/bin/env node
// Finds cycles among the relative imports of src/ (type-only imports count too: a cycle of types
// is still two modules that cannot be read apart). Prints each cycle once and exits 1 if any.
// Usage: node scripts/import-cycles.mjs [dir]   (default: src)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "src");
const EXTS = [".ts", ".tsx", ".mts", ".js", ".mjs"];
// import ... from "x", export ... from "x", import "x", import("x")
const SPEC = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return EXTS.some((e) => name.endsWith(e)) && !name.endsWith(".d.ts") ? [p] : [];
  });
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|mjs)$/, "");
  const tries = [base, ...EXTS.map((e) => stem + e), ...EXTS.map((e) => join(base, `index${e}`))];
  return tries.find((t) => existsSync(t) && statSync(t).isFile());
}

function withoutComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

const files = sources(root);
const graph = new Map(
  files.map((f) => {
    const deps = new Set();
    for (const m of withoutComments(readFileSync(f, "utf8")).matchAll(SPEC)) {
      const to = resolveImport(f, m[1]);
      if (to) deps.add(to);
    }
    return [f, [...deps].sort()];
  }),
);

// Tarjan's strongly connected components: every component of more than one file (or a file
// importing itself) holds at least one cycle; one shortest cycle through its first file is printed.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function connect(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp.sort());
  }
}
for (const f of files) if (!idx.has(f)) connect(f);

/** The shortest path from start back to start inside the component (breadth first). */
function shortestCycle(start, members) {
  const prev = new Map();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]));
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const name = (f) => relative(process.cwd(), f);
for (const comp of components) {
  const cycle = shortestCycle(comp[0], new Set(comp));
  console.log(`cycle (${comp.length} file(s) entangled): ${cycle.map(name).join(" -> ")}`);
  if (comp.length > cycle.length - 1)
    console.log(
      `  also in it: ${comp
        .filter((f) => !cycle.includes(f))
        .map(name)
        .join(", ")}`,
    );
}
if (components.length) {
  console.log(`${components.length} import cycle(s) in ${name(root)}`);
  process.exit(1);
}
console.log(`no import cycles in ${name(root)} (${files.length} files)`);
