#!/usr/bin/env node
// Second copies: `restic copy` of N new snapshots into a second repository (MODE=restic) against
// `rclone copy --immutable` of the same repository growth (MODE=append / mirror), then the same
// two through `backup-tui sync --to NAME` (with its local `restic check`, tamper check and, for
// rclone, `rclone check --one-way`). Both targets on this machine's disk and on loopback servers
// (`rclone serve restic` for the restic target, `rclone serve sftp` for the rclone copy).
//
//   npm exec -- node scripts/bench/copies.mjs            512 MiB base, 5 snapshots of ~5% new data per round, 5 rounds (~10 min)
//   npm exec -- node scripts/bench/copies.mjs --smoke    16 MiB base, 1 round (~1 min); prints only
//   options: --rounds N, --snapshots N (per round), --bench-file FILE (the Markdown file whose
//            <!-- copies:begin -->…<!-- copies:end --> section is replaced or appended; default BENCHMARKS.md, not with --smoke)
//
// Needs restic, rclone and bin/backup-tui (`npm run build`); no Docker. Everything lives in a temp dir under
// /var/tmp, removed at the end (also on failure or SIGINT/SIGTERM), with the servers it started. A failed step
// prints FAILED and exits 1 before any figure is printed or written.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeRandom } from "./random-data.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BUILT = path.join(ROOT, "bin", "backup-tui");
const USAGE = "usage: node scripts/bench/copies.mjs [--smoke] [--rounds N] [--snapshots N] [--bench-file FILE]";
const argv = process.argv.slice(2);
let opts;
try {
  opts = parseArgs({
    args: argv,
    options: {
      smoke: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      rounds: { type: "string" },
      snapshots: { type: "string" },
      "bench-file": { type: "string" },
    },
  }).values;
} catch (err) {
  console.error(`[copies] FAILED: ${err.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const MiB = 1 << 20;
const SMOKE = !!opts.smoke;
const BASE = SMOKE ? 16 * MiB : 512 * MiB;
const FILES = SMOKE ? 4 : 32;
const ROUNDS = Number(opts.rounds ?? (SMOKE ? 1 : 5));
const PER_ROUND = Number(opts.snapshots ?? 5);
const NEW_PER_SNAPSHOT = Math.round(BASE * 0.05);
const BENCH_FILE = opts["bench-file"]
  ? path.resolve(opts["bench-file"])
  : SMOKE
    ? undefined
    : path.join(ROOT, "BENCHMARKS.md");
if (!(ROUNDS >= 1) || !(PER_ROUND >= 1)) {
  console.error(`[copies] FAILED: --rounds and --snapshots take a number ≥ 1\n${USAGE}`);
  process.exit(2);
}

const T = fs.mkdtempSync("/var/tmp/bench-copies-");
const servers = [];
function cleanup() {
  for (const s of servers) s.kill("SIGTERM");
  fs.rmSync(T, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
function fail(msg) {
  console.error(`[copies] FAILED: ${msg}`);
  cleanup();
  process.exit(1);
}

const PW = path.join(T, "pw");
fs.writeFileSync(PW, "bench-copies-password\n", { mode: 0o600 });
const LOCAL = path.join(T, "local");
const DATA = path.join(T, "data");
const ENV = {
  ...process.env,
  RESTIC_PASSWORD_FILE: PW,
  RESTIC_PASSWORD: undefined,
  RESTIC_CACHE_DIR: path.join(T, "cache"),
  AWS_CA_BUNDLE: undefined,
  RCLONE_CONFIG_LOCALR_TYPE: "local",
};

function sh(cmd, args, env = ENV) {
  const r = spawnSync(cmd, args, { env, encoding: "utf8", maxBuffer: 256 * MiB });
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")}: ${(r.stderr || r.stdout || "").trim().slice(-800)}`);
  return r.stdout;
}
function timed(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  sh(cmd, args, env);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
const du = (dir) => Number(sh("du", ["-sb", dir]).split("\t")[0]);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
async function serve(kind, dir, port) {
  fs.mkdirSync(dir, { recursive: true });
  const args = ["serve", kind, "--addr", `127.0.0.1:${port}`, "--config", "/dev/null", dir];
  if (kind === "sftp") args.push("--user", "bench", "--pass", "bench-pass-1");
  const p = spawn("rclone", args, { stdio: "ignore", env: ENV });
  servers.push(p);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`rclone serve ${kind} did not come up on ${port}`);
}

// ---------- setup ----------
console.log(
  `[copies] base ${BASE / MiB} MiB in ${FILES} files, ${ROUNDS} round(s) of ${PER_ROUND} snapshots with ~${(NEW_PER_SNAPSHOT / MiB).toFixed(1)} MiB new each`,
);
const restPort = await freePort();
const sftpPort = await freePort();
await serve("restic", path.join(T, "srv-rest"), restPort);
await serve("sftp", path.join(T, "srv-sftp"), sftpPort);
const obscured = sh("rclone", ["obscure", "bench-pass-1"]).trim();
Object.assign(ENV, {
  RCLONE_CONFIG_SFTPR_TYPE: "sftp",
  RCLONE_CONFIG_SFTPR_HOST: "127.0.0.1",
  RCLONE_CONFIG_SFTPR_PORT: String(sftpPort),
  RCLONE_CONFIG_SFTPR_USER: "bench",
  RCLONE_CONFIG_SFTPR_PASS: obscured,
});
const PLACES = {
  disk: { rclone: `localr:${path.join(T, "append-disk")}`, restic: path.join(T, "restic-disk") },
  loopback: { rclone: "sftpr:append", restic: `rest:http://127.0.0.1:${restPort}/restic` },
};
sh("restic", ["init", "-q", "--repo", LOCAL]);
fs.mkdirSync(DATA);
for (let i = 0; i < FILES; i++) writeRandom(path.join(DATA, `base-${i}.bin`), BASE / FILES);
let serial = 0;
const backup = () => {
  writeRandom(path.join(DATA, `new-${serial++}.bin`), NEW_PER_SNAPSHOT);
  sh("restic", ["backup", "-q", "--repo", LOCAL, "--tag", "backup-tui,kind:stack,stack:bench", DATA]);
};
backup();

const CONFIG = path.join(T, "config.ini");
fs.writeFileSync(
  CONFIG,
  [
    "[docker]",
    `DOCKER_STACKS_DIR=${path.join(T, "stacks")}`,
    "[local_backup]",
    `RESTIC_REPOSITORY=${LOCAL}`,
    `RESTIC_PASSWORD_FILE=${PW}`,
    ...Object.entries(PLACES).flatMap(([where, p]) => [
      `[cloud_sync:append-${where}]`,
      "MODE=append",
      `RCLONE_REMOTE=${p.rclone.split(":")[0]}`,
      `RCLONE_PATH=${p.rclone.slice(p.rclone.indexOf(":") + 1)}`,
      `[cloud_sync:restic-${where}]`,
      "MODE=restic",
      `RESTIC_REPOSITORY=${p.restic}`,
      `RESTIC_PASSWORD_FILE=${PW}`,
    ]),
    "",
  ].join("\n"),
  { mode: 0o600 },
);
const BTUI_ENV = { ...ENV, BACKUP_TUI_CONFIG: CONFIG, BACKUP_TUI_STATE_DIR: path.join(T, "state"), NO_COLOR: "1" };
const rcloneCopy = (dst) =>
  timed("rclone", ["copy", "--immutable", "--transfers", "4", "--config", "/dev/null", LOCAL, dst]);
const resticCopy = (dst) =>
  timed("restic", ["copy", "-q", "--repo", dst, "--from-repo", LOCAL, "--from-password-file", PW]);
const btuiSync = (name) => timed(BUILT, ["sync", "--to", name], BTUI_ENV);
const size = (where, kind) => {
  if (kind === "rclone")
    return where === "disk" ? du(path.join(T, "append-disk")) : du(path.join(T, "srv-sftp", "append"));
  return where === "disk" ? du(path.join(T, "restic-disk")) : du(path.join(T, "srv-rest", "restic"));
};

// The first copy of each: the restic targets with the local chunker parameters, as backup-tui creates them.
for (const p of Object.values(PLACES)) {
  sh("restic", [
    "init",
    "-q",
    "--repo",
    p.restic,
    "--from-repo",
    LOCAL,
    "--from-password-file",
    PW,
    "--copy-chunker-params",
  ]);
  resticCopy(p.restic);
  rcloneCopy(p.rclone);
}
// backup-tui's own first sync of each (its tamper reference; nothing left to copy).
for (const name of Object.keys(PLACES).flatMap((w) => [`append-${w}`, `restic-${w}`])) btuiSync(name);

// ---------- rounds ----------
const figures = {};
const add = (key, v) => {
  figures[key] ??= [];
  figures[key].push(v);
};
for (let r = 1; r <= ROUNDS; r++) {
  const localBefore = du(LOCAL);
  for (let i = 0; i < PER_ROUND; i++) backup();
  const growth = du(LOCAL) - localBefore;
  add("local growth", growth);
  for (const where of Object.keys(PLACES)) {
    const p = PLACES[where];
    // The tools alone, then another round of snapshots for backup-tui's sync of the same size.
    for (const [kind, run] of [
      ["rclone", () => rcloneCopy(p.rclone)],
      ["restic", () => resticCopy(p.restic)],
    ]) {
      const before = size(where, kind);
      add(`${where} ${kind} s`, run());
      add(`${where} ${kind} bytes`, size(where, kind) - before);
    }
  }
  for (let i = 0; i < PER_ROUND; i++) backup();
  for (const where of Object.keys(PLACES)) {
    add(`${where} btui-rclone s`, btuiSync(`append-${where}`));
    add(`${where} btui-restic s`, btuiSync(`restic-${where}`));
  }
  console.log(`[copies] round ${r}/${ROUNDS} done (local growth ${(growth / MiB).toFixed(1)} MiB)`);
}
// Sanity: each copy holds every snapshot and checks clean.
const count = (repo) => JSON.parse(sh("restic", ["snapshots", "--json", "--no-lock", "--repo", repo])).length;
const expected = count(LOCAL);
for (const p of Object.values(PLACES)) {
  if (count(p.restic) !== expected) fail(`${p.restic} holds ${count(p.restic)} snapshots, not ${expected}`);
  sh("restic", ["check", "-q", "--repo", p.restic]);
}

// ---------- report ----------
const s = (k) => median(figures[k]).toFixed(2);
const mb = (k) => (median(figures[k]) / MiB).toFixed(1);
const rows = Object.keys(PLACES).map(
  (w) =>
    `| ${w === "disk" ? "this disk" : "loopback (sftp / REST)"} | ${s(`${w} rclone s`)} | ${mb(`${w} rclone bytes`)} | ${s(`${w} restic s`)} | ${mb(`${w} restic bytes`)} | ${s(`${w} btui-rclone s`)} | ${s(`${w} btui-restic s`)} |`,
);
const body = [
  `Run ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} on ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "?"}, restic ${sh("restic", ["version"]).split(" ")[1]}, ${sh("rclone", ["version"]).split("\n")[0]}; \`${["node scripts/bench/copies.mjs", ...argv.filter((a) => a !== "--bench-file" && a !== opts["bench-file"])].join(" ")}\`.`,
  `A ${BASE / MiB} MiB repository (${FILES} random files); each round adds ${PER_ROUND} snapshots of ~${(NEW_PER_SNAPSHOT / MiB).toFixed(1)} MiB new data each (local repository growth: median ${mb("local growth")} MiB), then each target catches up. Medians of ${ROUNDS} round(s), seconds and MiB written there.`,
  "",
  "| target | rclone copy (s) | rclone MiB | restic copy (s) | restic MiB | backup-tui sync MODE=append (s) | backup-tui sync MODE=restic (s) |",
  "|---|---|---|---|---|---|---|",
  ...rows,
  "",
  "The backup-tui columns sync the next round's snapshots (same size) and include what the tools alone skip: `restic check` of the local repository, the tamper check (listing the target's snapshots) and, for append, `rclone check --one-way`. restic copy re-reads and re-encrypts every new blob under the target's key; rclone copies the pack files as they are.",
].join("\n");
console.log(`\n${body}\n`);
if (BENCH_FILE) {
  const BEGIN = "<!-- copies:begin (generated by scripts/bench/copies.mjs; edits inside are overwritten) -->";
  const END = "<!-- copies:end -->";
  const section = `${BEGIN}\n## Second copies: restic copy against rclone copy\n\n${body}\n${END}`;
  const cur = fs.existsSync(BENCH_FILE) ? fs.readFileSync(BENCH_FILE, "utf8") : "# Benchmarks\n";
  const i = cur.indexOf("<!-- copies:begin");
  const j = cur.indexOf(END, Math.max(i, 0));
  fs.writeFileSync(
    BENCH_FILE,
    i >= 0 && j > i ? cur.slice(0, i) + section + cur.slice(j + END.length) : `${cur.trimEnd()}\n\n${section}\n`,
  );
  console.log(`[copies] wrote ${BENCH_FILE}`);
}
cleanup();
