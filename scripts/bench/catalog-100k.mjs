#!/usr/bin/env node
// A catalog of 100,000 snapshots: how long the commands that read it take, and the TUI's peak
// memory holding it (dashboard, Snapshots screen, every snapshot paged down); and `--version`.
//
//   node scripts/bench/catalog-100k.mjs              # 100,000 snapshots, 7 runs each, writes BENCHMARKS.md's section
//   node scripts/bench/catalog-100k.mjs --smoke      # 5,000 snapshots, 3 runs, prints only
//   options: --snapshots N, --runs N, --bench-file FILE
//
// Needs bin/backup-tui (`npm run build`), restic, tmux, and a Node with node:sqlite (the pinned
// one: node_modules/.bin/node, which `npm run` puts first on PATH). The catalog is synthetic (4
// stacks, hourly, inserted into the state DB backup-tui created against an empty repository):
// building 100,000 real restic snapshots would take hours. Everything is under one temp dir,
// removed at the end; a failed step exits non-zero before any figure is printed.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "backup-tui");
const { values: opt } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    snapshots: { type: "string" },
    runs: { type: "string" },
    "bench-file": { type: "string" },
  },
});
const N = Number(opt.snapshots ?? (opt.smoke ? 5000 : 100_000));
const RUNS = Number(opt.runs ?? (opt.smoke ? 3 : 7));
const BENCH_FILE = opt["bench-file"] ?? (opt.smoke ? undefined : path.join(ROOT, "BENCHMARKS.md"));
const TARGETS = { list: 200, version: 60, rssMb: 120 };

const log = (...a) => console.error("[catalog-bench]", ...a);
const fail = (msg, detail = "") => {
  throw new Error(`${msg}${detail ? `\n${String(detail).trim().split("\n").slice(-15).join("\n")}` : ""}`);
};
function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, ...o });
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`, r.stderr || r.error);
  return r.stdout;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "btui-catalog-bench-"));
const W = {
  state: path.join(DIR, "state"),
  repo: path.join(DIR, "repo"),
  pw: path.join(DIR, "pw"),
  config: path.join(DIR, "config.ini"),
};
const env = { ...process.env, NO_COLOR: "1", BACKUP_TUI_CONFIG: W.config, BACKUP_TUI_STATE_DIR: W.state };
for (const k of ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE"])
  delete env[k];
const SOCKET = `btui-catalog-bench-${process.pid}`;

async function seed() {
  fs.mkdirSync(path.join(DIR, "stacks"));
  fs.writeFileSync(W.pw, "bench-password-1234\n", { mode: 0o600 });
  fs.writeFileSync(
    W.config,
    `[docker]\nDOCKER_STACKS_DIR=${path.join(DIR, "stacks")}\n[local_backup]\nRESTIC_REPOSITORY=${W.repo}\nRESTIC_PASSWORD_FILE=${W.pw}\n`,
    { mode: 0o600 },
  );
  sh("restic", ["init", "-q"], { env: { ...env, RESTIC_REPOSITORY: W.repo, RESTIC_PASSWORD_FILE: W.pw } });
  sh(BIN, ["snapshots", "--refresh"], { env });
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path.join(W.state, "state.db"), { timeout: 5000 });
  const stacks = ["alpha", "beta", "gamma", "delta"];
  const ins =
    db.prepare(`INSERT INTO snapshots (id, short_id, time, host, stack, kind, tags, paths, parent, protected, data_added, total_bytes, indexed)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, 0)`);
  db.exec("BEGIN");
  for (let i = 0; i < N; i++) {
    const id = i.toString(16).padStart(8, "0") + "e".repeat(56),
      stack = stacks[i % 4];
    ins.run(
      id,
      id.slice(0, 8),
      new Date(Date.UTC(2014, 0, 1) + i * 3600_000).toISOString(),
      "bench-host",
      stack,
      "stack",
      JSON.stringify(["backup-tui", `stack:${stack}`, "kind:stack"]),
      JSON.stringify([`/srv/${stack}`, `/var/lib/docker/volumes/${stack}_data/_data`]),
      1000 + i,
      5_000_000 + i,
    );
  }
  db.exec("COMMIT");
  db.close();
}

/** Wall time (ms) of a command, median of RUNS after one untimed run; the output is checked. */
function timed(args, check) {
  const once = () => {
    const t0 = performance.now();
    const r = spawnSync(BIN, args, { env, encoding: "utf8", maxBuffer: 256 << 20 });
    const ms = performance.now() - t0;
    if (r.status !== 0) fail(`backup-tui ${args.join(" ")} exited ${r.status}`, r.stderr);
    if (!check(r.stdout)) fail(`backup-tui ${args.join(" ")} printed something unexpected`, r.stdout.slice(0, 2000));
    return ms;
  };
  once();
  return median(Array.from({ length: RUNS }, once));
}

function tmux(...a) {
  return sh("tmux", ["-L", SOCKET, ...a]);
}
const pane = () => tmux("capture-pane", "-p", "-t", "tui");
async function waitPane(re, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const frame = pane();
    if (re.test(frame)) return;
    if (Date.now() > end) fail(`the TUI never showed ${re}`, frame);
    await sleep(20);
  }
}
function hwmMb(pid) {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) fail(`no VmHWM for ${pid}`);
  return Number(m[1]) / 1024;
}
async function tuiMemory() {
  const pidFile = path.join(DIR, "tui.pid");
  const runner = path.join(DIR, "tui.sh");
  const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  fs.writeFileSync(
    runner,
    `#!/bin/sh\nexport NO_COLOR=1 BACKUP_TUI_CONFIG=${q(W.config)} BACKUP_TUI_STATE_DIR=${q(W.state)}\nsh -c 'echo $$ > "$0"; exec "$1"' ${q(pidFile)} ${q(BIN)}\nsleep 600\n`,
  );
  tmux("new-session", "-d", "-s", "tui", "-x", "160", "-y", "30", "sh", runner);
  try {
    await waitPane(new RegExp(`${N} snapshot\\(s\\)`));
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    await sleep(300);
    const dashboard = hwmMb(pid);
    tmux("send-keys", "-t", "tui", "4");
    await waitPane(/latest 5 per stack · 20 shown/);
    await sleep(300);
    const list = hwmMb(pid);
    tmux("send-keys", "-t", "tui", "a");
    await waitPane(new RegExp(`every snapshot · ${N} shown`));
    for (let i = 0; i < 40; i++) tmux("send-keys", "-t", "tui", "PageDown");
    tmux("send-keys", "-t", "tui", "End");
    await waitPane(new RegExp(`\\b${N}/${N}\\b`));
    await sleep(300);
    const all = hwmMb(pid);
    return { dashboard, list, all };
  } finally {
    spawnSync("tmux", ["-L", SOCKET, "kill-server"], { stdio: "ignore" });
  }
}

async function main() {
  log(`seeding ${N} snapshots in ${DIR}`);
  await seed();
  const shown = (n) => (out) => (out.match(/^[0-9a-f]{8} /gm) ?? []).length === n;
  const rows = [
    ["`snapshots` (the newest 5 per stack)", timed(["snapshots"], shown(20))],
    ["`snapshots --json`", timed(["snapshots", "--json"], (o) => JSON.parse(o).snapshots.length === 20)],
    ["`snapshots --stack alpha --latest 3`", timed(["snapshots", "--stack", "alpha", "--latest", "3"], shown(3))],
    ["`status --json`", timed(["status", "--json"], (o) => JSON.parse(o).catalog.snapshots === N)],
    ["`--version`", timed(["--version"], (o) => /^\d+\.\d+\.\d+/.test(o))],
  ];
  const mem = await tuiMemory();
  const version = rows.at(-1)[1];
  const list = rows[0][1];
  const peak = Math.max(mem.dashboard, mem.list, mem.all);
  return [
    `Run ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} · \`node scripts/bench/catalog-100k.mjs${opt.smoke ? " --smoke" : ""}\` · ${N.toLocaleString("en")} synthetic snapshots (4 stacks, hourly) · median of ${RUNS} runs after one untimed`,
    "",
    `- Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "?"}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} at the end.`,
    "",
    "| command | wall median (ms) |",
    "|---|---|",
    ...rows.map(([what, ms]) => `| ${what} | ${ms.toFixed(0)} |`),
    "",
    `TUI peak RSS (VmHWM): dashboard ${mem.dashboard.toFixed(0)} MB, Snapshots screen ${mem.list.toFixed(0)} MB, every snapshot paged to the end ${mem.all.toFixed(0)} MB.`,
    "",
    `Targets: catalog listing < ${TARGETS.list} ms ${list < TARGETS.list ? "met" : "MISSED"} (${list.toFixed(0)} ms, the whole process); \`--version\` ≤ ${TARGETS.version} ms ${version <= TARGETS.version ? "met" : "MISSED"} (${version.toFixed(0)} ms); TUI ≤ ${TARGETS.rssMb} MB ${peak <= TARGETS.rssMb ? "met" : "MISSED"} (${peak.toFixed(0)} MB).`,
  ].join("\n");
}

function writeBenchFile(file, body) {
  const begin =
      "<!-- catalog100k:begin (generated by scripts/bench/catalog-100k.mjs; edits inside are overwritten) -->",
    end = "<!-- catalog100k:end -->";
  const section = `${begin}\n## A catalog of 100,000 snapshots\n\n${body}\n${end}`;
  const cur = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const i = cur.indexOf("<!-- catalog100k:begin"),
    j = cur.indexOf(end);
  fs.writeFileSync(
    file,
    i >= 0 && j > i ? cur.slice(0, i) + section + cur.slice(j + end.length) : `${cur.trimEnd()}\n\n${section}\n`,
  );
}

try {
  const body = await main();
  console.log(body);
  if (BENCH_FILE) {
    writeBenchFile(BENCH_FILE, body);
    log(`wrote the catalog100k section of ${BENCH_FILE}`);
  }
} catch (err) {
  console.error(`[catalog-bench] FAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(DIR, { recursive: true, force: true });
}
