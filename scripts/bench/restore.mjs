#!/usr/bin/env node
// Restore: wall time and downtime of an in-place `restore --stack` against a raw `restic restore`,
// for a 1 GiB stack (and 10 GiB with --sizes 1,10), while its service keeps writing.
//
//   node scripts/bench/restore.mjs                     # 1 GiB, 3 repeats, writes the restore section of BENCHMARKS.md
//   node scripts/bench/restore.mjs --sizes 1,10        # 1 GiB and 10 GiB (10 GiB: 1 repeat; ~45 GiB of free disk)
//   node scripts/bench/restore.mjs --smoke             # 64 MiB, 1 repeat, prints only
//   options: --repeats N, --bench-file FILE, --before BIN (also time an older build's in-place restore)
//
// Needs root, dockerd with Compose v2, restic on PATH, the image local/busybox:latest and
// bin/backup-tui (`npm run build`). Everything lives under one directory in /var/tmp and one
// compose project, removed at the end, also on failure or SIGINT/SIGTERM. Every restore is checked
// (file count and bytes of the volume; the in-place one also its digest), and a failed step exits
// non-zero before any figure is printed.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeRandom } from "./random-data.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const { values: opt } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    sizes: { type: "string", default: "1" },
    repeats: { type: "string" },
    "bench-file": { type: "string" },
    before: { type: "string" },
  },
});
const GiB = 2 ** 30;
const SIZES = opt.smoke ? [1 / 16] : opt.sizes.split(",").map(Number);
const repeatsFor = (gib) => Number(opt.repeats ?? (opt.smoke || gib >= 10 ? 1 : 3));
const BENCH_FILE = opt["bench-file"] ?? (opt.smoke ? undefined : path.join(ROOT, "BENCHMARKS.md"));

const log = (...a) => console.error("[restore-bench]", ...a);
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
    const t0 = Date.now();
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "",
      err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err = (err + c).slice(-100_000)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 128, out, err, wallMs: Date.now() - t0 }));
  });
}
const jsonLines = (s) =>
  s
    .trim()
    .split("\n")
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });

// ---------- the world ----------
const DIR = fs.mkdtempSync(path.join("/var/tmp", "btui-restore-bench-"));
const ID = `bench-restore-${process.pid}`;
const W = {
  stacks: path.join(DIR, "stacks"),
  state: path.join(DIR, "state"),
  repo: path.join(DIR, "repo"),
  pw: path.join(DIR, "password"),
  config: path.join(DIR, "config.ini"),
  target: path.join(DIR, "target"),
};
const STACK_DIR = path.join(W.stacks, ID);
const BIN = path.join(DIR, "backup-tui");
let up = false;
const env = { ...process.env, NO_COLOR: "1", BACKUP_TUI_CONFIG: W.config, BACKUP_TUI_STATE_DIR: W.state };
for (const k of ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY_FILE", "RESTIC_CACHE_DIR"])
  delete env[k];
const resticEnv = { ...env, RESTIC_REPOSITORY: W.repo, RESTIC_PASSWORD_FILE: W.pw };

function setUp() {
  fs.copyFileSync(path.join(ROOT, "bin", "backup-tui"), BIN);
  fs.chmodSync(BIN, 0o755);
  fs.mkdirSync(STACK_DIR, { recursive: true });
  fs.writeFileSync(W.pw, "bench-password-1234\n", { mode: 0o600 });
  fs.writeFileSync(
    W.config,
    `[docker]\nDOCKER_STACKS_DIR=${W.stacks}\nSTOP_TIMEOUT=10\n[local_backup]\nRESTIC_REPOSITORY=${W.repo}\nRESTIC_PASSWORD_FILE=${W.pw}\n`,
    { mode: 0o600 },
  );
  // The service appends a line every 50 ms (a log or a database's WAL would): the restore stops it once.
  fs.writeFileSync(
    path.join(STACK_DIR, "compose.yaml"),
    [
      "services:",
      "  app:",
      "    image: local/busybox:latest",
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do date +%s%N >> /data/writer.log; sleep 0.05 & wait $$!; done"]`,
      "    volumes:",
      "      - data:/data",
      "volumes:",
      "  data:",
      "",
    ].join("\n"),
  );
  sh("restic", ["init", "-q"], { env: resticEnv });
}
function compose(...args) {
  sh("docker", ["compose", ...args], { cwd: STACK_DIR });
}
function tearDown() {
  if (up) spawnSync("docker", ["compose", "down", "-v", "-t", "2"], { cwd: STACK_DIR, stdio: "ignore" });
  fs.rmSync(DIR, { recursive: true, force: true });
}

/** The volume filled with `gib` GiB: 90% in 64 MiB files, 10% in 4–60 KiB ones (random data). */
function generate(gib) {
  if (up) spawnSync("docker", ["compose", "down", "-v", "-t", "2"], { cwd: STACK_DIR, stdio: "ignore" });
  compose("up", "-d", "--quiet-pull");
  up = true;
  const mp = sh("docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", `${ID}_data`]).trim();
  const total = Math.round(gib * GiB);
  const large = 64 << 20;
  let bytes = 0;
  fs.mkdirSync(path.join(mp, "large"), { recursive: true });
  for (let i = 0; bytes < total * 0.9; i++) {
    writeRandom(path.join(mp, "large", `big-${i}.bin`), large);
    bytes += large;
  }
  for (let i = 0; bytes < total; i++) {
    const dir = path.join(mp, "small", `d${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const size = (4 << 10) + ((i * 7919) % (56 << 10));
    writeRandom(path.join(dir, `f${i}.bin`), size);
    bytes += size;
  }
  spawnSync("sync");
  return mp;
}

/** Files and bytes under root, and a digest of every file but the writer's log. */
function measure(root, digest = false) {
  let files = 0,
    bytes = 0;
  const h = createHash("sha256");
  const visit = (p, rel) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      for (const n of fs.readdirSync(p).sort()) visit(path.join(p, n), rel ? `${rel}/${n}` : n);
    } else if (st.isFile() && rel !== "writer.log") {
      files++;
      bytes += st.size;
      if (digest) h.update(rel).update(fs.readFileSync(p));
    }
  };
  visit(root, "");
  return { files, bytes, digest: digest ? h.digest("hex") : undefined };
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
    "{{.TimeNano}} {{.Action}}",
  ]);
  return out
    .trim()
    .split("\n")
    .filter((l) => /^\d+ \S+$/.test(l))
    .map((l) => l.split(" "))
    .map(([t, action]) => ({ at: Number(BigInt(t) / 1000n) / 1000, action }))
    .filter((e) => e.at >= sinceMs);
}

async function backup() {
  const r = await run(BIN, ["backup", ID, "--json"], env);
  if (r.code !== 0) fail(`backup-tui backup exited ${r.code}`, r.err + r.out);
  const o = jsonLines(r.out).find((e) => e.type === "summary")?.outcomes?.[0];
  if (o?.status !== "succeeded") fail("the backup did not succeed", r.out);
  return o.snapshotId;
}

async function rawRestore(snap, mp, expect) {
  fs.rmSync(W.target, { recursive: true, force: true });
  const r = await run("restic", ["restore", snap, "--target", W.target, "--include", mp], resticEnv);
  if (r.code !== 0) fail("raw restic restore failed", r.err);
  check(measure(path.join(W.target, mp)), expect, "raw restic restore");
  return { wallMs: r.wallMs };
}
async function targetRestore(mp, expect) {
  fs.rmSync(W.target, { recursive: true, force: true });
  const r = await run(BIN, ["restore", "--stack", ID, "--target", W.target, "--json"], env);
  if (r.code !== 0) fail("backup-tui restore --target failed", r.err + r.out);
  check(measure(path.join(W.target, mp)), expect, "backup-tui restore --target");
  return { wallMs: r.wallMs };
}
async function inPlace(bin, mp, expect) {
  // What the restore rolls back: 1% of the data rewritten since the backup.
  const big = fs.readdirSync(path.join(mp, "large")).sort();
  writeRandom(path.join(mp, "large", big[0]), Math.max(1 << 20, Math.round(expect.bytes * 0.01)));
  spawnSync("sync");
  const t0 = Date.now();
  const r = await run(bin, ["restore", "--stack", ID, "--yes", "--json"], env);
  if (r.code !== 0) fail(`in-place restore (${bin}) failed`, r.err + r.out);
  const res = jsonLines(r.out).find((e) => e.type === "restore");
  const ev = events(t0);
  const die = ev.filter((e) => e.action === "die"),
    startEv = ev.filter((e) => e.action === "start");
  if (die.length !== 1 || startEv.length !== 1 || startEv[0].at < die[0].at)
    fail(`expected one die and one start event, got: ${ev.map((e) => e.action).join(" ")}`);
  check(measure(mp, true), expect, "in-place restore");
  if (sh("docker", ["inspect", "-f", "{{.State.Running}}", `${ID}-app-1`]).trim() !== "true")
    fail("the service is not running after the restore");
  return { wallMs: r.wallMs, downtimeMs: startEv[0].at - die[0].at, reportedMs: res?.downtimeMs ?? Number.NaN };
}
function check(got, want, what) {
  if (got.files !== want.files || got.bytes !== want.bytes || (want.digest && got.digest && got.digest !== want.digest))
    fail(`${what}: ${got.files} files, ${got.bytes} bytes restored; expected ${want.files} files, ${want.bytes} bytes`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const s2 = (ms) => (ms / 1000).toFixed(2);

async function main() {
  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? "?",
    mem: (os.totalmem() / GiB).toFixed(1),
    restic: sh("restic", ["version"]).split(" ")[1],
  };
  setUp();
  const rows = [];
  const targets = [];
  for (const gib of SIZES) {
    log(`${gib} GiB: generating data`);
    const mp = generate(gib);
    const snap = await backup();
    const expect = measure(mp, true);
    await rawRestore(snap, mp, expect); // untimed: warms the page cache and restic's
    const R = { raw: [], target: [], inplace: [], before: [] };
    for (let rep = 0; rep < repeatsFor(gib); rep++) {
      R.raw.push(await rawRestore(snap, mp, expect));
      R.target.push(await targetRestore(mp, expect));
      if (opt.before) R.before.push(await inPlace(opt.before, mp, expect));
      R.inplace.push(await inPlace(BIN, mp, expect));
      fs.rmSync(W.target, { recursive: true, force: true });
      log(
        `${gib} GiB #${rep + 1}: raw ${s2(R.raw.at(-1).wallMs)} s, --target ${s2(R.target.at(-1).wallMs)} s, in place ${s2(R.inplace.at(-1).wallMs)} s (down ${s2(R.inplace.at(-1).downtimeMs)} s)`,
      );
    }
    const raw = median(R.raw.map((x) => x.wallMs));
    const size = `${(expect.bytes / GiB).toFixed(2)} GiB, ${expect.files} files`;
    const row = (variant, xs) =>
      xs.length &&
      rows.push(
        `| ${size} | ${variant} | ${xs.length} | ${s2(median(xs.map((x) => x.wallMs)))} | ${(median(xs.map((x) => x.wallMs)) / raw).toFixed(2)} | ${xs[0].downtimeMs === undefined ? "-" : `${s2(median(xs.map((x) => x.downtimeMs)))} (max ${s2(Math.max(...xs.map((x) => x.downtimeMs)))})`} | ${xs[0].reportedMs === undefined ? "-" : s2(median(xs.map((x) => x.reportedMs)))} |`,
      );
    row("raw `restic restore ID --target DIR`", R.raw);
    row("`restore --stack NAME --target DIR`", R.target);
    row(`in place, before (\`${path.basename(opt.before ?? "")}\`)`, R.before);
    row("`restore --stack NAME --yes` (in place)", R.inplace);
    const down = median(R.inplace.map((x) => x.downtimeMs));
    const ratio = median(R.inplace.map((x) => x.wallMs)) / raw;
    targets.push(
      `${size}: downtime ≤ 1.5 s ${down <= 1500 ? "met" : "MISSED"} (${s2(down)} s); in-place wall ≤ 1.3× raw ${ratio <= 1.3 ? "met" : "MISSED"} (${ratio.toFixed(2)}×).`,
    );
    spawnSync("docker", ["compose", "down", "-v", "-t", "2"], { cwd: STACK_DIR, stdio: "ignore" });
    up = false;
    fs.rmSync(W.repo, { recursive: true, force: true });
    fs.rmSync(W.state, { recursive: true, force: true });
    sh("restic", ["init", "-q"], { env: resticEnv });
  }
  return [
    `Run ${meta.date} · \`node scripts/bench/restore.mjs${opt.smoke ? " --smoke" : ` --sizes ${SIZES.join(",")}`}\``,
    "",
    `- Machine: ${meta.cpus} × ${meta.cpu}, ${meta.mem} GiB memory. restic ${meta.restic}. Repository, volume and restores on the same disk.`,
    "- Stack: one busybox service appending a line to a log on its volume every 50 ms; the volume holds 90% 64 MiB files and 10% 4–60 KiB files of random data. Before each in-place restore 1% of the data is rewritten, so the safety snapshot has something new to keep.",
    "- Warm caches (an untimed raw restore first). Downtime from `docker events`: the service's die → start; `reported` is backup-tui's own figure. Every restore is checked: files and bytes, and for in place a digest of every file but the log, against the data backed up.",
    "- In place: the copy is written into staging beside the volume and the safety snapshot's hot pass taken while the service runs; stopped only for the renames (the replaced data is moved aside); the safety snapshot's final pass (parent: the hot pass) reads the data kept aside after the start. Before this work (more.mjs's table, the same 1 GiB stack): 5.21 s down.",
    "",
    "| data | variant | runs | wall median (s) | ratio to raw | downtime median (s) | reported (s) |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `Targets: ${targets.join(" ")}`,
  ].join("\n");
}
function writeBenchFile(file, body) {
  const begin = "<!-- restore:begin (generated by scripts/bench/restore.mjs; edits inside are overwritten) -->",
    end = "<!-- restore:end -->";
  const section = `${begin}\n## Restore in place: downtime against size\n\n${body}\n${end}`;
  const cur = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const i = cur.indexOf("<!-- restore:begin"),
    j = cur.indexOf(end);
  fs.writeFileSync(
    file,
    i >= 0 && j > i ? cur.slice(0, i) + section + cur.slice(j + end.length) : `${cur.trimEnd()}\n\n${section}\n`,
  );
}

for (const s of ["SIGINT", "SIGTERM"])
  process.on(s, () => {
    tearDown();
    process.exit(130);
  });
try {
  const body = await main();
  console.log(body);
  if (BENCH_FILE) {
    writeBenchFile(BENCH_FILE, body);
    log(`wrote the restore section of ${BENCH_FILE}`);
  }
} catch (err) {
  console.error(`[restore-bench] FAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  tearDown();
}
