#!/usr/bin/env node
// Prints the shape of the source tree: file count, median and p90 file length,
// and the longest functions. Used for the closing notes of refactors; run it as
//   node scripts/code-stats.mjs [dir]      (default: src)
// Function lengths come from a small scanner (strings, comments and template
// literals skipped, braces matched), not from a compiler: close enough to rank.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.argv[2] ?? "src";

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return /\.(ts|tsx|mjs)$/.test(name) ? [path] : [];
  });
}

/** Replaces the contents of strings, template literals and comments with spaces, keeping newlines. */
function blank(text) {
  let out = "";
  let i = 0;
  const stack = []; // template-literal nesting: "`" or "{"
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    const inTemplate = stack.at(-1) === "`";
    if (inTemplate) {
      if (c === "\\") {
        out += "  ";
        i += 2;
        continue;
      }
      if (c === "`") {
        stack.pop();
        out += c;
        i++;
        continue;
      }
      if (c === "$" && next === "{") {
        stack.push("{");
        out += "${";
        i += 2;
        continue;
      }
      out += c === "\n" ? "\n" : " ";
      i++;
      continue;
    }
    if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") {
        out += " ";
        i++;
      }
      continue;
    }
    if (c === "/" && next === "*") {
      while (i < text.length && !(text[i] === "*" && text[i + 1] === "/")) {
        out += text[i] === "\n" ? "\n" : " ";
        i++;
      }
      out += "  ";
      i += 2;
      continue;
    }
    if (c === '"' || c === "'") {
      out += c;
      i++;
      while (i < text.length && text[i] !== c && text[i] !== "\n") {
        out += text[i] === "\\" ? "  " : " ";
        i += text[i] === "\\" ? 2 : 1;
      }
      out += c;
      i++;
      continue;
    }
    if (c === "`") {
      stack.push("`");
      out += c;
      i++;
      continue;
    }
    if (c === "{" && stack.length) {
      stack.push("{");
    }
    if (c === "}" && stack.at(-1) === "{") {
      stack.pop();
      if (stack.at(-1) === "`") {
        out += c;
        i++;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

const START = [
  /^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z0-9_$]+)/,
  /^\s*(?:export\s+)?(?:const|let)\s+([A-Za-z0-9_$]+)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z0-9_$]+)\s*(?::[^=]+)?=>/,
  /^\s*(?:export\s+)?(?:const|let)\s+([A-Za-z0-9_$]+)\s*(?::[^=]+)?=\s*(?:async\s*)?\(/,
  /^\s*(?:public\s+|private\s+|protected\s+|static\s+|async\s+)*([A-Za-z0-9_$]+)\s*\([^)]*\)\s*(?::\s*[^{]+)?\{\s*$/,
];
const NOT_NAMES = new Set(["if", "for", "while", "switch", "catch", "return", "function"]);

function functions(file) {
  const lines = blank(readFileSync(file, "utf8")).split("\n");
  const found = [];
  for (let start = 0; start < lines.length; start++) {
    const m = START.map((re) => lines[start].match(re)).find(Boolean);
    if (!m || NOT_NAMES.has(m[1])) continue;
    const arrow = lines[start].indexOf("=>");
    if (
      arrow >= 0 &&
      !lines[start]
        .slice(arrow + 2)
        .trim()
        .startsWith("{")
    )
      continue; // expression-bodied arrow
    let depth = 0;
    let opened = false;
    let end = start;
    for (; end < lines.length; end++) {
      for (const ch of lines[end]) {
        if (ch === "{") {
          depth++;
          opened = true;
        }
        if (ch === "}") depth--;
      }
      if (opened && depth <= 0) break;
      if (!opened && end > start + 12) break; // an expression-bodied arrow: not worth ranking
    }
    if (opened) found.push({ name: m[1], file, line: start + 1, length: end - start + 1 });
  }
  return found;
}

const files = walk(root).sort();
const lengths = files.map((f) => readFileSync(f, "utf8").split("\n").length - 1).sort((a, b) => a - b);
const pick = (q) => lengths[Math.min(lengths.length - 1, Math.floor(q * lengths.length))];
const all = files.flatMap(functions).sort((a, b) => b.length - a.length);
// Nested functions are counted inside their parents too; rank the outermost names.
console.log(`files: ${files.length}`);
console.log(`lines: ${lengths.reduce((a, b) => a + b, 0)}`);
console.log(`file length: median ${pick(0.5)}, p90 ${pick(0.9)}, max ${lengths.at(-1)}`);
console.log("longest functions:");
for (const f of all.slice(0, 8))
  console.log(`  ${String(f.length).padStart(4)}  ${f.name}  ${relative(".", f.file)}:${f.line}`);
