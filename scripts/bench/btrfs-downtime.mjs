#!/usr/bin/env node
// Downtime of the snapshot strategy (btrfs) against two-pass and single-pass stop, for a ~1 GiB stack.
//
//   node scripts/bench/btrfs-downtime.mjs            # ~1 GiB stack, 3 repeats, writes the btrfs section of BENCHMARKS.md
//   node scripts/bench/btrfs-downtime.mjs --smoke    # ~20 MB, 1 repeat, prints only (pass --bench-file F to write F)
//   options: --repeats N, --bench-file FILE
//
// Needs root, mkfs.btrfs, a free loop device, dockerd with Compose v2, restic on PATH, the image
// local/busybox:latest and bin/backup-tui (`npm run build`). It makes a sparse btrfs image under
// /var/tmp, mounts it on a loop device, binds a local-driver Docker volume to a subvolume of it
// and runs one compose project on that volume. Everything is removed at the end, also on failure
// or SIGINT/SIGTERM. A failed step exits non-zero before any figure is printed.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeRandom } from "./random-data.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const SMOKE = argv.includes("--smoke");
const SIZE = SMOKE
  ? { small: 200, large: 2, largeBytes: 8 << 20, dirty: 16 << 20, repeats: 1, image: "512M" }
  : { small: 8000, large: 4, largeBytes: 200 << 20, dirty: 300 << 20, repeats: 3, image: "4G" };
SIZE.repeats = Number(opt("--repeats") ?? SIZE.repeats);
const BENCH_FILE = opt("--bench-file") ?? (SMOKE ? undefined : path.join(ROOT, "BENCHMARKS.md"));
const MODES = [
  { name: "snapshot", args: ["--strategy", "snapshot"], freeze: ["pause", "unpause"] },
  { name: "stop, two-pass", args: ["--strategy", "stop"], freeze: ["die", "start"] },
  { name: "stop, single-pass", args: ["--strategy", "stop", "--single-pass"], freeze: ["die", "start"] },
];
const CASES = ["first", "1% changed", "just written"];

const log = (...a) => console.error("[btrfs-bench]", ...a);
const fail = (msg, detail = "") => {
  throw new Error(`${msg}${detail ? `\n${String(detail).trim().split("\n").slice(-15).join("\n")}` : ""}`);
};
function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, ...o });
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`, r.stderr || r.error);
  return r.stdout;
}
function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "",
      err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err = (err + c).slice(-100_000)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 128, out, err }));
  });
}

// ---------- the world ----------
const DIR = fs.mkdtempSync(path.join("/var/tmp", "btui-btrfs-bench-"));
const ID = `bench-btrfs-${process.pid}`;
const W = {
  stacks: path.join(DIR, "stacks"),
  state: path.join(DIR, "state"),
  repo: path.join(DIR, "repo"),
  pw: path.join(DIR, "password"),
  config: path.join(DIR, "config.ini"),
  img: path.join(DIR, "btrfs.img"),
  mnt: path.join(DIR, "mnt"),
};
const STACK_DIR = path.join(W.stacks, ID);
const BIN = path.join(DIR, "backup-tui");
let loop = "",
  mounted = false,
  up = false,
  volume = false;
const env = { ...process.env, NO_COLOR: "1", BACKUP_TUI_CONFIG: W.config, BACKUP_TUI_STATE_DIR: W.state };
for (const k of ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY_FILE", "RESTIC_CACHE_DIR"])
  delete env[k];
const resticEnv = { ...env, RESTIC_REPOSITORY: W.repo, RESTIC_PASSWORD_FILE: W.pw };

function setUp() {
  fs.copyFileSync(path.join(ROOT, "bin", "backup-tui"), BIN);
  fs.chmodSync(BIN, 0o755);
  sh("truncate", ["-s", SIZE.image, W.img]);
  sh("/usr/sbin/mkfs.btrfs", ["-q", W.img]);
  loop = sh("losetup", ["-f", "--show", W.img]).trim();
  fs.mkdirSync(W.mnt);
  sh("mount", [loop, W.mnt]);
  mounted = true;
  sh("btrfs", ["subvolume", "create", path.join(W.mnt, "data")]);
  sh("docker", [
    "volume",
    "create",
    "--driver",
    "local",
    "--opt",
    "type=none",
    "--opt",
    "o=bind",
    "--opt",
    `device=${path.join(W.mnt, "data")}`,
    ID,
  ]);
  volume = true;
  fs.mkdirSync(STACK_DIR, { recursive: true });
  fs.writeFileSync(W.pw, "bench-password-1234\n", { mode: 0o600 });
  fs.writeFileSync(
    W.config,
    `[docker]\nDOCKER_STACKS_DIR=${W.stacks}\nSTOP_TIMEOUT=10\nSNAPSHOT_MIN_FREE=64M\n[local_backup]\nRESTIC_REPOSITORY=${W.repo}\nRESTIC_PASSWORD_FILE=${W.pw}\n`,
    { mode: 0o600 },
  );
  fs.writeFileSync(
    path.join(STACK_DIR, "compose.yaml"),
    [
      "services:",
      "  app:",
      "    image: local/busybox:latest",
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $$!; done"]`,
      "    stop_grace_period: 10s",
      "    volumes:",
      "      - data:/data",
      // Never stopped (label): Docker unmounts a bind-driver volume when its last container stops,
      // and a stop backup would then read an empty Mountpoint.
      "  keeper:",
      "    image: local/busybox:latest",
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $$!; done"]`,
      '    labels: { backup-tui.stop: "false" }',
      "    volumes:",
      "      - data:/data",
      "volumes:",
      "  data:",
      "    external: true",
      `    name: ${ID}`,
      "",
    ].join("\n"),
  );
  sh("docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: STACK_DIR });
  up = true;
}
function tearDown() {
  if (up) spawnSync("docker", ["compose", "down", "-t", "2"], { cwd: STACK_DIR, stdio: "ignore" });
  if (volume) spawnSync("docker", ["volume", "rm", "-f", ID], { stdio: "ignore" });
  if (mounted) spawnSync("umount", ["-l", W.mnt], { stdio: "ignore" });
  if (loop) spawnSync("losetup", ["-d", loop], { stdio: "ignore" });
  fs.rmSync(DIR, { recursive: true, force: true });
}

let DATA;
function generate() {
  const mp = sh("docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", ID]).trim();
  const small = [],
    large = [];
  let bytes = 0;
  for (let i = 0; i < SIZE.small; i++) {
    const dir = path.join(mp, "small", `d${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const size = (4 << 10) + ((i * 7919) % (60 << 10));
    const file = path.join(dir, `f${i}.bin`);
    writeRandom(file, size);
    small.push({ file, size });
    bytes += size;
  }
  fs.mkdirSync(path.join(mp, "large"), { recursive: true });
  for (let i = 0; i < SIZE.large; i++) {
    const file = path.join(mp, "large", `big-${i}.bin`);
    writeRandom(file, SIZE.largeBytes);
    large.push(file);
    bytes += SIZE.largeBytes;
  }
  spawnSync("sync");
  DATA = { mp, small, large, bytes };
}
let k = 0;
/** 1% of the small files rewritten and one region of a large file, while the container runs. */
function mutate() {
  const n = Math.max(1, Math.round(DATA.small.length * 0.01));
  for (let i = 0; i < n; i++) {
    const f = DATA.small[(k * n + i) % DATA.small.length];
    writeRandom(f.file, f.size);
  }
  const region = Math.round(DATA.large.length * SIZE.largeBytes * 0.01);
  writeRandom(DATA.large[k % DATA.large.length], region, (k * region) % (SIZE.largeBytes - region), "r+");
  k++;
  spawnSync("sync");
}

function events(sinceMs) {
  const out = sh("docker", [
    "events",
    "--since",
    (sinceMs / 1000 - 1).toFixed(3),
    "--until",
    (Date.now() / 1000).toFixed(3),
    "--filter",
    "type=container",
    "--filter",
    `label=com.docker.compose.project=${ID}`,
    "--format",
    "{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}",
  ]);
  return out
    .trim()
    .split("\n")
    .filter((l) => /^\d+ \S+ \S+$/.test(l))
    .map((l) => l.split(" "))
    .map(([t, action, name]) => ({ at: Number(BigInt(t) / 1000n) / 1000, action, name }))
    .filter((e) => e.at >= sinceMs);
}
async function backup(mode) {
  const t0 = Date.now();
  const r = await run(BIN, ["backup", ID, "--json", ...mode.args], env);
  const wall = Date.now() - t0;
  if (r.code !== 0) fail(`backup-tui backup (${mode.name}) exited ${r.code}`, r.err + r.out);
  const lines = r.out
    .trim()
    .split("\n")
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  const o = lines.find((e) => e.type === "summary")?.outcomes?.[0];
  if (o?.status !== "succeeded") fail(`backup (${mode.name}) did not succeed`, r.out);
  // Every run must have read the whole volume (a stop run reading an empty Mountpoint would look fast).
  const stats = JSON.parse(
    sh("restic", ["stats", "--json", "--mode", "restore-size", o.snapshotId], { env: resticEnv }),
  );
  if (stats.total_size < DATA.bytes)
    fail(`backup (${mode.name}) holds ${stats.total_size} bytes, less than the ${DATA.bytes} of the volume`);
  const strategy = lines.find((e) => e.type === "stack-start")?.strategy;
  if (strategy !== mode.args[1]) fail(`backup (${mode.name}) ran with strategy ${strategy}`);
  const ev = events(t0);
  const [a, b] = mode.freeze;
  const from = ev.filter((e) => e.action === a),
    to = ev.filter((e) => e.action === b);
  if (from.length !== 1 || to.length !== 1 || to[0].at < from[0].at)
    fail(`expected one ${a} and one ${b} event, got: ${ev.map((e) => e.action).join(" ")}`);
  if (sh("docker", ["inspect", "-f", "{{.State.Running}} {{.State.Paused}}", `${ID}-app-1`]).trim() !== "true false")
    fail("the container is not running after the backup");
  const app = ev.filter((e) => e.name === `${ID}-app-1`);
  if (app.length !== ev.length) fail("the keeper container was touched");
  return { downtime: to[0].at - from[0].at, reported: o.downtimeMs, wall };
}
function freshRepo() {
  fs.rmSync(W.repo, { recursive: true, force: true });
  fs.rmSync(W.state, { recursive: true, force: true });
  sh("restic", ["init", "-q"], { env: resticEnv });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sec = (ms) => (ms / 1000).toFixed(3);
function render(results, meta) {
  const rows = [];
  for (const c of CASES)
    for (const m of MODES) {
      const r = results.filter((x) => x.case === c && x.mode === m.name);
      const d = r.map((x) => x.downtime);
      rows.push(
        `| ${c} | ${m.name} | ${sec(Math.min(...d))} | ${sec(median(d))} | ${sec(Math.max(...d))} | ${sec(median(r.map((x) => x.reported)))} | ${sec(median(r.map((x) => x.wall)))} |`,
      );
    }
  const snap = results.filter((x) => x.mode === "snapshot").map((x) => x.downtime);
  const dirtySnap = results.filter((x) => x.mode === "snapshot" && x.case === "just written").map((x) => x.downtime);
  return [
    `Run ${meta.date} · \`node scripts/bench/btrfs-downtime.mjs${SMOKE ? " --smoke" : ""}\` · ${SIZE.repeats} repeat(s) per figure`,
    "",
    `- Machine: ${meta.cpus} × ${meta.cpu}, ${meta.mem} GiB memory, kernel ${meta.kernel}; load average ${meta.loadStart} at the start, ${meta.loadEnd} at the end. restic ${meta.restic}.`,
    `- Stack: one busybox service (plus an idle \`backup-tui.stop=false\` one that keeps the volume mounted while the first is stopped) on one local-driver Docker volume bound to a btrfs subvolume (a ${SIZE.image} sparse image on a loop device, under /var/tmp); ${SIZE.small} small files (4–64 KiB) + ${SIZE.large} × ${SIZE.largeBytes >> 20} MiB, random data, ${(DATA.bytes / 2 ** 20).toFixed(0)} MiB. The repository is on ext4 (/var/tmp).`,
    "- Method: per repeat and mode, a fresh repository and state dir: `first` = the first backup into it; `1% changed` = the next one, after rewriting 1% of the small files and 1% of the large data while the container runs; `just written` = the next, right after writing a new file of ${SIZE.dirty >> 20} MiB without a sync. Downtime from `docker events`: pause → unpause for snapshot (SNAPSHOT_FREEZE=pause), die → start for stop. `reported` = backup-tui's own downtimeMs. Each snapshot is checked to hold the whole volume (restic stats).",
    "",
    "| case | mode | downtime min (s) | median | max | reported median | wall median (s) |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `Snapshot strategy: worst freeze ${sec(Math.max(...snap))} s over ${snap.length} runs (target < 0.5 s at any size: ${Math.max(...snap) < 500 ? "met" : "MISSED"}); with ${SIZE.dirty >> 20} MiB written just before (\`just written\`, not flushed) the worst is ${sec(Math.max(...dirtySnap))} s (target ≤ 0.2 s: ${Math.max(...dirtySnap) <= 200 ? "met" : "MISSED"}): the filesystem is flushed (syncfs) while the stack runs, before the freeze.`,
    "",
    `The freeze is pause, one \`btrfs subvolume snapshot -r\`, unpause: it does not grow with the data; restic then reads the snapshot in a private mount namespace while the service runs.`,
  ].join("\n");
}
function writeBenchFile(file, body) {
  const begin = "<!-- btrfs:begin (generated by scripts/bench/btrfs-downtime.mjs; edits inside are overwritten) -->",
    end = "<!-- btrfs:end -->";
  const section = `${begin}\n## Snapshot strategy (btrfs): downtime against stop\n\n${body}\n${end}`;
  const cur = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const i = cur.indexOf("<!-- btrfs:begin"),
    j = cur.indexOf(end);
  fs.writeFileSync(
    file,
    i >= 0 && j > i ? cur.slice(0, i) + section + cur.slice(j + end.length) : `${cur.trimEnd()}\n\n${section}\n`,
  );
}

async function main() {
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? "?",
    mem: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    loadStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
    restic: sh("restic", ["version"]).split(" ")[1],
  };
  setUp();
  log(`generating data in ${DIR}`);
  generate();
  const results = [];
  for (let rep = 0; rep < SIZE.repeats; rep++) {
    // Rotate the order so no mode always runs first (warm or cold page cache).
    const order = MODES.map((_, i) => MODES[(i + rep) % MODES.length]);
    for (const mode of order) {
      freshRepo();
      const first = await backup(mode);
      results.push({ case: "first", mode: mode.name, ...first });
      mutate();
      const next = await backup(mode);
      results.push({ case: "1% changed", mode: mode.name, ...next });
      // Written just before the backup, not flushed: the freeze must not wait for it to reach the disk.
      const dirty = path.join(DATA.mp, `just-written-${k}.bin`);
      writeRandom(dirty, SIZE.dirty);
      const fresh = await backup(mode);
      results.push({ case: "just written", mode: mode.name, ...fresh });
      fs.rmSync(dirty);
      spawnSync("sync");
      log(
        `repeat ${rep + 1}, ${mode.name}: downtime ${sec(first.downtime)} s first, ${sec(next.downtime)} s after 1% changed`,
      );
    }
  }
  meta.loadEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const body = render(results, meta);
  console.log(body);
  if (BENCH_FILE) {
    writeBenchFile(BENCH_FILE, body);
    log(`wrote the btrfs section of ${BENCH_FILE}`);
  }
}

for (const s of ["SIGINT", "SIGTERM"])
  process.on(s, () => {
    tearDown();
    process.exit(130);
  });
try {
  await main();
} catch (err) {
  console.error(`[btrfs-bench] FAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  tearDown();
}
