// Writes config.example.ini from the key table in src/config/keys.ts (descriptions, defaults, examples).
// Run from the repository root:  npx node scripts/gen-config-example.ts
// (test/unit/config/config-example.test.ts fails when the committed file differs from what it would write.)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// Node runs .ts by stripping types, but resolves only full file names: import by URL.
const url = (f: string) => pathToFileURL(join(import.meta.dirname, "..", "src", "config", f)).href;
const { SECTIONS, STACK_KEYS } = (await import(url("keys.ts"))) as typeof import("../src/config/keys");
const { renderExample } = (await import(url("example.ts"))) as typeof import("../src/config/example");

const out = join(import.meta.dirname, "..", "config.example.ini");
writeFileSync(out, renderExample(SECTIONS, STACK_KEYS));
console.log(`wrote ${out}`);
