// Writes config.example.ini from the config schema (src/config/keys.ts and src/config/schema/*.ts:
// descriptions, defaults, examples). Run from the repository root:  npx node scripts/gen-config-example.ts
// (test/unit/config/config-example.test.ts fails when the committed file differs from what it would write.)
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// The schema's modules import each other by extension-less names, which plain Node does not
// resolve: they are bundled into one temporary module first.
const root = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "gen-config-example-"));
const bundle = join(tmp, "example.mjs");
try {
  await build({
    stdin: {
      contents:
        'export { SECTIONS, STACK_KEYS, SYNC_TARGET_KEYS } from "./keys"; export { renderExample } from "./example";',
      resolveDir: join(root, "src", "config"),
      loader: "ts",
    },
    outfile: bundle,
    bundle: true,
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  const { SECTIONS, STACK_KEYS, SYNC_TARGET_KEYS, renderExample } = (await import(
    pathToFileURL(bundle).href
  )) as typeof import("../src/config/keys") & typeof import("../src/config/example");
  const out = join(root, "config.example.ini");
  writeFileSync(out, renderExample(SECTIONS, STACK_KEYS, SYNC_TARGET_KEYS));
  console.log(`wrote ${out}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
