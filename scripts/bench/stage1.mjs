#!/usr/bin/env node
// Stage 1 benchmark: downtime and orchestration overhead of `backup-tui backup`.
//
//   node scripts/bench/stage1.mjs            # ≥1 GiB stack, 5 repeats (~10 min), writes the Stage 1 section of BENCHMARKS.md
//   node scripts/bench/stage1.mjs --smoke    # ~40 MB, 2 repeats, prints only (pass --bench-file F to write F)
//   options: --repeats N, --bench-file FILE
//
// Needs root (it writes into a Docker volume's mountpoint), a running dockerd with Compose v2,
// restic on PATH, the image local/busybox:latest and bin/backup-tui (`npm run build`).
// Everything it creates (one compose project, its volume, a temp dir under /var/tmp) is removed
// at the end, also on failure or SIGINT/SIGTERM. Any failed step exits non-zero before any figure
// is printed.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { prng, writeRandom } from "./random-data.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BUILT = path.join(ROOT, "bin", "backup-tui");
const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const SMOKE = argv.includes("--smoke");
const SIZE = SMOKE
  ? { small: 200, large: 4, largeBytes: 8 << 20, repeats: 2 } // ~40 MiB: over the hot pass's 32 MiB threshold
  : { small: 8000, large: 4, largeBytes: 200 << 20, repeats: 5 };
SIZE.repeats = Number(opt("--repeats") ?? SIZE.repeats);
const BENCH_FILE = opt("--bench-file") ?? (SMOKE ? undefined : path.join(ROOT, "BENCHMARKS.md"));
// --smoke skips the 25% case (the same code path as 1%) to stay under a minute.
const CASES = [
  { name: "first", fraction: 0 },
  { name: "25% changed", fraction: 0.25 },
  { name: "1% changed", fraction: 0.01 },
].filter((c) => !SMOKE || c.fraction !== 0.25);
const VARIANTS = ["bt-single", "bt-two", "raw-single", "raw-two", "raw-hot"];

const log = (...a) => console.error("[stage1]", ...a);
class BenchError extends Error {}
const fail = (msg, detail = "") => {
  throw new BenchError(`${msg}${detail ? `\n${String(detail).trim().split("\n").slice(-15).join("\n")}` : ""}`);
};

// ---------- processes ----------
function sh(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 << 20, ...o });
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`, r.stderr || r.error);
  return r.stdout;
}
let active; // the running child, stopped on SIGINT/SIGTERM
/** Runs a command to completion; stdout lines carry their arrival time (ms since epoch). */
function run(cmd, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    active = child;
    const lines = [];
    let buf = "",
      stderr = "";
    child.stdout.on("data", (c) => {
      const at = Date.now();
      buf += c;
      for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) lines.push({ at, text: buf.slice(0, i) });
    });
    child.stderr.on("data", (c) => {
      stderr = (stderr + c).slice(-200_000);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      active = undefined;
      if (buf) lines.push({ at: Date.now(), text: buf });
      resolve({ code: code ?? 128, signal, lines, stderr });
    });
  });
}
async function must(cmd, args, env) {
  const r = await run(cmd, args, env);
  if (r.code !== 0) fail(`${cmd} ${args.slice(0, 2).join(" ")} failed (exit ${r.code})`, r.stderr);
  return r;
}

// ---------- the world: temp dir, config, stack, data ----------
const base = "/var/tmp";
const DIR = fs.mkdtempSync(path.join(base, "btui-bench-"));
const PROJECT = `bench-stage1-${process.pid}`;
const W = {
  stacksDir: path.join(DIR, "stacks"),
  stateDir: path.join(DIR, "state"),
  repo: path.join(DIR, "repo"),
  template: path.join(DIR, "repo-empty"),
  pw: path.join(DIR, "password"),
  config: path.join(DIR, "config.ini"),
  list: path.join(DIR, "files-from.txt"),
};
const STACK_DIR = path.join(W.stacksDir, PROJECT);
const CONTAINER = `${PROJECT}-app-1`;
const LOG = path.join(W.stateDir, "backup-tui.log");
const BIN = path.join(DIR, "backup-tui"); // a private copy: a rebuild of bin/ during the run cannot mix builds
const cleanEnv = () => {
  const e = { ...process.env, NO_COLOR: "1" };
  for (const k of ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY_FILE", "RESTIC_CACHE_DIR"])
    delete e[k];
  return e;
};
const btEnv = { ...cleanEnv(), BACKUP_TUI_CONFIG: W.config, BACKUP_TUI_STATE_DIR: W.stateDir };
const resticEnv = {
  ...cleanEnv(),
  RESTIC_REPOSITORY: W.repo,
  RESTIC_PASSWORD_FILE: W.pw,
  RESTIC_CACHE_DIR: path.join(W.stateDir, "restic-cache"),
  RESTIC_PROGRESS_FPS: "2",
};

function setUpWorld() {
  fs.mkdirSync(STACK_DIR, { recursive: true });
  fs.writeFileSync(W.pw, "bench-password-1234\n", { mode: 0o600 });
  fs.writeFileSync(
    W.config,
    `[docker]\nDOCKER_STACKS_DIR=${W.stacksDir}\nSTOP_TIMEOUT=10\n[local_backup]\nRESTIC_REPOSITORY=${W.repo}\nRESTIC_PASSWORD_FILE=${W.pw}\n`,
    { mode: 0o600 },
  );
  // `sleep 1 & wait` makes TERM act at once (a foreground sleep delays the trap by up to 1 s of noise).
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
      "volumes:",
      "  data: {}",
      "",
    ].join("\n"),
  );
  sh("docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: STACK_DIR });
  sh("restic", ["init", "-q", "--repo", W.template], { env: resticEnv });
}

let DATA; // { mp, small: [{file,size}], large: [file] , bytes }
function generateData() {
  const mp = sh("docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", `${PROJECT}_data`]).trim();
  const rnd = prng(42),
    small = [],
    large = [];
  let bytes = 0;
  for (let i = 0; i < SIZE.small; i++) {
    const dir = path.join(mp, "small", `d${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const size = (4 << 10) + Math.floor(rnd() * (60 << 10));
    const file = path.join(dir, `f${String(i).padStart(5, "0")}.bin`);
    writeRandom(file, size);
    small.push({ file, size });
    bytes += size;
  }
  fs.mkdirSync(path.join(mp, "large"));
  for (let i = 0; i < SIZE.large; i++) {
    const file = path.join(mp, "large", `big-${i}.bin`);
    writeRandom(file, SIZE.largeBytes);
    large.push(file);
    bytes += SIZE.largeBytes;
  }
  DATA = { mp, small, large, bytes };
}
let mutations = 0;
/** Rewrites `fraction` of the data while the container runs: that share of the small files, and of the large files (whole files at 25%, one region in place at 1%). */
function mutate(fraction) {
  const k = mutations++,
    n = Math.max(1, Math.round(DATA.small.length * fraction));
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const f = DATA.small[(k * n + i) % DATA.small.length];
    writeRandom(f.file, f.size);
    bytes += f.size;
  }
  const largeN = Math.floor(DATA.large.length * fraction);
  if (largeN > 0) {
    for (let i = 0; i < largeN; i++) writeRandom(DATA.large[(k * largeN + i) % DATA.large.length], SIZE.largeBytes);
    bytes += largeN * SIZE.largeBytes;
  } else {
    const region = Math.round(DATA.large.length * SIZE.largeBytes * fraction);
    writeRandom(DATA.large[k % DATA.large.length], region, (k * region) % (SIZE.largeBytes - region), "r+");
    bytes += region;
  }
  spawnSync("sync");
  return { files: n + Math.max(largeN, 1), bytes };
}

// ---------- measurements ----------
const fileSize = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
function freshRepo() {
  last = undefined;
  fs.rmSync(W.repo, { recursive: true, force: true });
  sh("cp", ["-a", W.template, W.repo]);
  fs.rmSync(W.stateDir, { recursive: true, force: true }); // a new installation: empty catalog, cold restic cache
}
function stackEvents(sinceMs) {
  const out = sh("docker", [
    "events",
    "--since",
    (sinceMs / 1000 - 1).toFixed(3),
    "--until",
    (Date.now() / 1000).toFixed(3),
    "--filter",
    "type=container",
    "--filter",
    `label=com.docker.compose.project=${PROJECT}`,
    "--format",
    "{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}",
  ]);
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" "))
    .map(([t, action]) => ({ at: Number(BigInt(t) / 1000n) / 1000, action }))
    .filter((e) => e.at >= sinceMs);
}
/** die → start of the one container from `docker events`; checks it stopped exactly once (or never, for a hot-only run) and runs again. */
function downtime(sinceMs, expectStop) {
  const ev = stackEvents(sinceMs),
    die = ev.filter((e) => e.action === "die"),
    start = ev.filter((e) => e.action === "start");
  if (sh("docker", ["inspect", "-f", "{{.State.Running}}", CONTAINER]).trim() !== "true")
    fail(`${CONTAINER} is not running after the backup`);
  if (!expectStop)
    return die.length || start.length
      ? fail("the container was stopped during a run that must not stop it")
      : undefined;
  if (die.length !== 1 || start.length !== 1 || start[0].at < die[0].at)
    fail(`expected one die and one start event, got: ${ev.map((e) => e.action).join(" ")}`);
  return { dieAt: die[0].at, startAt: start[0].at, ms: start[0].at - die[0].at };
}
let TEMPLATE; // paths, tags, host and manifest of a snapshot backup-tui made
let last; // newest kind:stack snapshot: the parent of the next run

async function btBackup(single) {
  const logFrom = fileSize(LOG);
  const t0 = Date.now();
  const r = await run(BIN, ["backup", PROJECT, "--json", "-v", ...(single ? ["--single-pass"] : [])], btEnv);
  const wallMs = Date.now() - t0;
  if (r.code !== 0) fail(`backup-tui backup exited ${r.code}`, r.stderr);
  const ev = r.lines.flatMap(({ at, text }) => {
    try {
      return [{ at, e: JSON.parse(text) }];
    } catch {
      return [];
    }
  });
  const summary = ev.find((x) => x.e.type === "summary")?.e,
    o = summary?.outcomes?.[0];
  if (o?.status !== "succeeded" || !o.snapshotId || typeof o.downtimeMs !== "number")
    fail("backup-tui reported no successful snapshot", r.lines.map((l) => l.text).join("\n"));
  // A warning means skipped work (say, a hot snapshot not forgotten): such a run would only look faster.
  if (summary.status !== "succeeded" || summary.warnings?.length)
    fail(`backup-tui run ${summary.status}: ${summary.warnings?.join("; ")}`);
  if (ev.find((x) => x.e.type === "stack-start")?.e.twoPass !== !single)
    fail(`backup-tui did not run ${single ? "single" : "two"}-pass`);
  const at = (pred) => ev.find((x) => pred(x.e))?.at;
  const marks = {
    runStart: at((e) => e.type === "run-start"),
    stackStart: at((e) => e.type === "stack-start"),
    stopping: at((e) => e.phase === "stopping"),
    pass: at((e) => e.phase === (single ? "backup" : "final-pass")),
    starting: at((e) => e.phase === "starting"),
    done: at((e) => e.type === "stack-done"),
    end: t0 + wallMs,
  };
  // Tool calls from the debug log (pino, time in ms): the last `restic backup` is the one in the stop window.
  const entries = fs
    .readFileSync(LOG)
    .subarray(fileSize(LOG) < logFrom ? 0 : logFrom)
    .toString()
    .split("\n")
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  const exec = entries.filter((e) => e.msg === "exec" && /restic backup /.test(e.cmd ?? "")).at(-1);
  const done = exec && entries.find((e) => e.msg === "exec done" && e.cmd === exec.cmd && e.time >= exec.time);
  if (!exec || !done) fail("no restic backup exec/exec done lines in backup-tui.log (is -v debug logging gone?)");
  const calls = {}; // ms per tool call other than `restic backup`, e.g. "restic snapshots"
  for (const e of entries.filter((e) => e.msg === "exec done" && e.cmd && !/^\S*restic backup /.test(e.cmd))) {
    const w = e.cmd.split(" "),
      k = [path.basename(w[0]), ...w.slice(1, w[1] === "compose" ? 3 : 2)].join(" ");
    calls[k] = (calls[k] ?? 0) + e.ms;
  }
  last = o.snapshotId;
  return {
    t0,
    wallMs,
    btDownMs: o.downtimeMs,
    down: downtime(t0, true),
    marks,
    calls,
    restic: { at: exec.time, doneAt: done.time },
  };
}

async function resticBackup(kind, parent) {
  const tags = TEMPLATE.tags.map((t) => (t === "kind:stack" ? `kind:${kind}` : t)).flatMap((t) => ["--tag", t]);
  const r = await must(
    "restic",
    [
      "backup",
      "--json",
      "--host",
      TEMPLATE.host,
      "--files-from-verbatim",
      W.list,
      ...tags,
      ...(parent ? ["--parent", parent] : []),
    ],
    resticEnv,
  );
  const sum = r.lines
    .map((l) => {
      try {
        return JSON.parse(l.text);
      } catch {
        return {};
      }
    })
    .find((m) => m.message_type === "summary");
  if (!sum?.snapshot_id) fail("restic backup reported no snapshot", r.stderr);
  // The same work as backup-tui: as many files as its snapshot held.
  if (sum.total_files_processed !== TEMPLATE.files)
    fail(`raw backup processed ${sum.total_files_processed} files, backup-tui's snapshot ${TEMPLATE.files}`);
  return sum.snapshot_id;
}
/** The same work backup-tui does, by hand: same paths, tags, host, parent, cache, password file. */
async function rawBackup(variant) {
  fs.mkdirSync(path.dirname(TEMPLATE.manifestPath), { recursive: true });
  fs.writeFileSync(TEMPLATE.manifestPath, TEMPLATE.manifest);
  const t0 = Date.now();
  if (variant === "raw-hot") last = await resticBackup("stack", last);
  else if (variant === "raw-single") {
    await must("docker", ["stop", "-t", "10", CONTAINER]);
    last = await resticBackup("stack", last);
    await must("docker", ["start", CONTAINER]);
  } else {
    const hot = await resticBackup("hot", last);
    await must("docker", ["stop", "-t", "10", CONTAINER]);
    last = await resticBackup("stack", hot);
    await must("docker", ["start", CONTAINER]);
    await must("restic", ["forget", "-q", hot], resticEnv);
  }
  const wallMs = Date.now() - t0;
  return { t0, wallMs, down: downtime(t0, variant !== "raw-hot") };
}

async function timeIt(n, cmd, args, env) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = Date.now();
    await must(cmd, args, env);
    xs.push(Date.now() - t);
  }
  return xs;
}

// ---------- statistics and report ----------
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const a = sorted(xs),
    m = a.length >> 1;
  return a.some((x) => x === undefined || Number.isNaN(x)) ? NaN : a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const msCell = (x) => (Number.isNaN(x) ? "-" : String(Math.round(x))); // "-": that call did not happen
const st = (xs) => ({ min: sorted(xs)[0], med: median(xs), spread: sorted(xs).at(-1) - sorted(xs)[0] });
const s2 = (ms) => (ms / 1000).toFixed(2);
const table = (head, rows) =>
  [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join(
    "\n",
  );
const mib = (b) => `${(b / 2 ** 20).toFixed(b < 2 ** 24 ? 1 : 0)} MiB`;

function report(R, info, changes, costs) {
  const get = (c, v, f) => R[c][v].map(f);
  const downRows = CASES.flatMap(({ name: c }) =>
    [
      ["single-pass", "bt-single", "raw-single"],
      ["two-pass", "bt-two", "raw-two"],
    ].map(([mode, bt, raw]) => {
      const d = st(get(c, bt, (x) => x.down.ms)),
        b = st(get(c, bt, (x) => x.btDownMs)),
        rw = st(get(c, raw, (x) => x.down.ms)),
        w = st(get(c, bt, (x) => x.wallMs));
      return [c, mode, s2(d.min), s2(d.med), s2(d.spread), s2(b.med), s2(rw.med), s2(w.min), s2(w.med)];
    }),
  );
  const misses = [];
  const ohRows = CASES.flatMap(({ name: c }) =>
    [
      ["single-pass", "bt-single", "raw-single", true],
      ["two-pass", "bt-two", "raw-two", true],
      ["two-pass vs raw hot backup (no stop)", "bt-two", "raw-hot", false],
    ].map(([what, bt, raw, target]) => {
      const b = st(get(c, bt, (x) => x.wallMs)),
        r = st(get(c, raw, (x) => x.wallMs)),
        ratio = b.med / r.med,
        fixed = b.med - r.med;
      const ok = ratio <= 1.05 && fixed <= 300;
      if (target && !ok) misses.push(`${c} ${what}: ratio ${ratio.toFixed(2)}, fixed cost ${s2(fixed)} s`);
      return [
        c,
        what,
        s2(b.med),
        s2(b.spread),
        s2(r.med),
        s2(r.spread),
        ratio.toFixed(2),
        s2(fixed),
        s2(b.min - r.min),
        target ? (ok ? "met" : "MISSED") : "-",
      ];
    }),
  );
  const bd = (c, f) => median(R[c]["bt-two"].map(f));
  const callNames = [
    ...new Set(
      CASES.flatMap((c) => ["bt-single", "bt-two"].flatMap((v) => R[c.name][v].flatMap((x) => Object.keys(x.calls)))),
    ),
  ].sort();
  const cols = CASES.flatMap((c) => [
    [c.name, "bt-single"],
    [c.name, "bt-two"],
  ]);
  const wall = [
    ["start → run-start event (start-up, config, lock, preflight)", (x) => x.marks.runStart - x.t0],
    ["run-start → stack-start (tool versions, parents)", (x) => x.marks.stackStart - x.marks.runStart],
    ["stack-start → stopping (two-pass: the hot pass)", (x) => x.marks.stopping - x.marks.stackStart],
    ["stopping → stack-done (the stop window)", (x) => x.marks.done - x.marks.stopping],
    ["stack-done → exit", (x) => x.marks.end - x.marks.done],
    ["**backup-tui wall**", (x) => x.wallMs],
  ];
  const steps = [
    ["stopping event → die (docker stop)", (x) => x.down.dieAt - x.marks.stopping],
    ["die → final-pass event (stop confirmed)", (x) => x.marks.pass - x.down.dieAt],
    ["final-pass event → restic spawned", (x) => x.restic.at - x.marks.pass],
    ["restic final pass (whole process)", (x) => x.restic.doneAt - x.restic.at],
    ["  of it beyond one repository open (scan, read, save)", (x) => x.restic.doneAt - x.restic.at - costs.open],
    ["restic exit → starting event", (x) => x.marks.starting - x.restic.doneAt],
    ["starting event → start (docker start)", (x) => x.down.startAt - x.marks.starting],
    ["start → stack-done (start verification)", (x) => x.marks.done - x.down.startAt],
    ["**stopping → stack-done (total)**", (x) => x.marks.done - x.marks.stopping],
    ["backup-tui downtimeMs", (x) => x.btDownMs],
    ["downtime by events (die → start)", (x) => x.down.ms],
  ];
  const out = [
    `Run ${info.date} · \`node scripts/bench/stage1.mjs${SMOKE ? " --smoke" : ""}\` · ${SIZE.repeats} repeats per figure`,
    "",
    `- Machine: ${info.cpus} × ${info.cpuModel}, ${info.memGiB} GiB memory, kernel ${info.kernel}; load average ${info.load} at the start, ${loadavg()} at the end; repository on ${info.tmpFs} (${base}), volumes on ${info.dockerFs} (${info.dockerRoot}, ${info.driver})`,
    `- Versions: backup-tui ${info.bt}, restic ${info.restic}, Docker ${info.docker}, Compose ${info.compose}`,
    `- Stack: one busybox service (\`trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done\`: exits at once on TERM), one named volume: ${DATA.small.length} small files (4–64 KiB) + ${DATA.large.length} × ${mib(SIZE.largeBytes)}, random data, ${mib(DATA.bytes)} in total (page cache warm). Changes before each timed run, written while the container runs (whole large files at 25%, one region in place at 1%): ${Object.entries(
      changes,
    )
      .map(([k, v]) => `${k.replace(" changed", "")} = ${v}`)
      .join("; ")}.`,
    "- Method: each figure is one `backup-tui` run (`--json -v`) or the equivalent raw sequence; variants interleave in a rotating order. `first` = into an empty repository (a fresh copy of an empty one) with a fresh state dir (empty catalog, cold restic cache) each time; the changed cases run in one repository per case where the previous run (backup-tui or raw, same tags/host, so it is the next parent; after a raw run `backup-tui snapshots --refresh` puts it into backup-tui's catalog) is the untimed backup before the change. Downtime = `docker events` die → start; spread = max − min.",
    "",
    "### Downtime (s)",
    "",
    table(
      [
        "case",
        "mode",
        "downtime min",
        "downtime median",
        "spread",
        "backup-tui downtimeMs median",
        "raw sequence downtime median",
        "backup-tui wall min",
        "wall median",
      ],
      downRows,
    ),
    "",
    "### Orchestration overhead (wall time, s)",
    "",
    "Raw = the script's own `docker stop` / `restic backup --files-from-verbatim` (paths, tags, host of backup-tui's snapshot, the same parent) / `docker start` (two-pass: hot backup, stop, `--parent HOT`, start, `forget HOT`). Targets: ratio ≤ 1.05 and fixed cost (backup-tui − raw, medians) ≤ 0.30 s.",
    "",
    table(
      [
        "case",
        "comparison",
        "backup-tui median",
        "spread",
        "raw median",
        "spread",
        "ratio",
        "fixed cost",
        "fixed cost on minimums",
        "target",
      ],
      ohRows,
    ),
    "",
    "### Inside the stop window, two-pass (median ms)",
    "",
    table(
      ["step", ...CASES.map((c) => c.name)],
      steps.map(([name, f]) => [name, ...CASES.map((c) => msCell(bd(c.name, f)))]),
    ),
    "",
    "### Where backup-tui's wall time goes (median ms)",
    "",
    'Phase events are timed on arrival of backup-tui\'s `--json` lines; tool calls (other than `restic backup`, wherever they fall) are the `exec done` durations of its debug log; "(k/N runs)": the call happened in k of the N runs only.',
    "",
    table(
      ["step", ...cols.map(([c, v]) => `${c} ${v === "bt-single" ? "single" : "two"}`)],
      [
        ...wall.map(([name, f]) => [name, ...cols.map(([c, v]) => msCell(median(R[c][v].map(f))))]),
        [
          "raw sequence wall",
          ...cols.map(([c, v]) => msCell(median(R[c][v.replace("bt", "raw")].map((x) => x.wallMs)))),
        ],
        ...callNames.map((k) => [
          `tool call: \`${k}\``,
          ...cols.map(([c, v]) => {
            const runs = R[c][v],
              had = runs.filter((x) => k in x.calls),
              m = msCell(median(had.map((x) => x.calls[k])));
            return had.length === 0 ? "-" : had.length === runs.length ? m : `${m} (${had.length}/${runs.length} runs)`;
          }),
        ]),
      ],
    ),
    "",
    `Component costs (median of ${costs.n}): backup-tui start-up (\`--version\`) ${costs.version} ms, \`restic version\` ${costs.resticVersion} ms, repository open (\`restic cat config\`) ${costs.open} ms, \`docker compose version\` ${costs.compose} ms.`,
    "",
    misses.length ? `Targets missed: ${misses.join("; ")}.` : "All overhead targets met.",
  ];
  return out.join("\n");
}

function writeBenchFile(file, body) {
  const begin = "<!-- stage1:begin (generated by scripts/bench/stage1.mjs; edits inside are overwritten) -->",
    end = "<!-- stage1:end -->";
  const section = `${begin}\n## Stage 1: backup downtime and orchestration overhead\n\n${body}\n${end}`;
  const cur = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const i = cur.indexOf("<!-- stage1:begin"),
    j = cur.indexOf(end);
  const next =
    i >= 0 && j > i ? cur.slice(0, i) + section + cur.slice(j + end.length) : `${cur.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

// ---------- main ----------
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
function machineInfo() {
  const dockerRoot = sh("docker", ["info", "-f", "{{.DockerRootDir}}"]).trim();
  return {
    load: loadavg(),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "?",
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    tmpFs: sh("stat", ["-f", "-c", "%T", base]).trim(),
    dockerRoot,
    dockerFs: sh("stat", ["-f", "-c", "%T", dockerRoot]).trim(),
    driver: sh("docker", ["info", "-f", "{{.Driver}}"]).trim(),
    bt: `${sh(BIN, ["--version"]).trim()} (binary built ${BUILT_AT}Z, tree ${spawnSync("git", ["-C", ROOT, "describe", "--always", "--dirty"], { encoding: "utf8" }).stdout?.trim() || "?"})`,
    restic: sh("restic", ["version"]).split(" ")[1],
    docker: sh("docker", ["version", "-f", "{{.Server.Version}}"]).trim(),
    compose: sh("docker", ["compose", "version", "--short"]).trim(),
  };
}

let BUILT_AT;
async function main() {
  if (process.getuid?.() !== 0) fail("run as root: the data is written into a Docker volume's mountpoint");
  if (!fs.existsSync(BUILT)) fail(`${BUILT} is missing: run \`npm run build\` first`);
  BUILT_AT = fs.statSync(BUILT).mtime.toISOString().slice(0, 16);
  fs.copyFileSync(BUILT, BIN);
  fs.chmodSync(BIN, 0o755);
  log(`${SMOKE ? "smoke" : "full"} run; project ${PROJECT}, workdir ${DIR}`);
  const info = machineInfo();
  setUpWorld();
  generateData();
  log(`data: ${DATA.small.length + DATA.large.length} files, ${mib(DATA.bytes)}`);
  // One untimed backup-tui run: its snapshot gives the paths, tags and host the raw sequence uses.
  freshRepo();
  await btBackup(true);
  const snap = JSON.parse(sh("restic", ["snapshots", "--json", "--latest", "1"], { env: resticEnv }))[0];
  const manifestPath =
    snap.paths.find((p) => p.endsWith("manifest.json")) ?? fail("no manifest.json in the snapshot's paths");
  TEMPLATE = {
    host: snap.hostname,
    tags: snap.tags,
    files: snap.summary?.total_files_processed,
    manifestPath,
    manifest: sh("restic", ["dump", snap.id, manifestPath], { env: resticEnv }),
  };
  fs.writeFileSync(W.list, snap.paths.join("\n") + "\n");

  const R = {},
    changes = {};
  for (const c of CASES) {
    R[c.name] = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    if (c.fraction) {
      freshRepo();
      await btBackup(true);
    } // the untimed backup before the first change
    for (let rep = 0; rep < SIZE.repeats; rep++) {
      for (const v of [...VARIANTS.slice(rep % VARIANTS.length), ...VARIANTS.slice(0, rep % VARIANTS.length)]) {
        if (c.fraction) {
          const m = mutate(c.fraction);
          changes[c.name] = `${m.files} files, ${mib(m.bytes)}`;
        } else freshRepo();
        spawnSync("sync");
        const x = v.startsWith("bt-") ? await btBackup(v === "bt-single") : await rawBackup(v);
        R[c.name][v].push(x);
        // backup-tui takes parents from its catalog: let it see the raw run's snapshot (untimed), as if it had made it.
        if (c.fraction && v.startsWith("raw-")) sh(BIN, ["snapshots", "--refresh", "--json"], { env: btEnv });
        log(`${c.name} #${rep + 1} ${v}: wall ${s2(x.wallMs)} s, downtime ${x.down ? s2(x.down.ms) : "-"} s`);
      }
    }
  }
  const n = SMOKE ? 3 : 5,
    costs = {
      n,
      version: median(await timeIt(n, BIN, ["--version"])),
      resticVersion: median(await timeIt(n, "restic", ["version"])),
      open: median(await timeIt(n, "restic", ["cat", "config"], resticEnv)),
      compose: median(await timeIt(n, "docker", ["compose", "version"])),
    };
  const body = report(R, info, changes, costs);
  console.log(body);
  if (BENCH_FILE) {
    writeBenchFile(BENCH_FILE, body);
    log(`wrote the Stage 1 section of ${BENCH_FILE}`);
  }
}

let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (active) {
    active.kill("SIGTERM");
    spawnSync("sleep", ["2"]);
  }
  if (fs.existsSync(path.join(STACK_DIR, "compose.yaml")))
    spawnSync("docker", ["compose", "down", "-v", "--timeout", "2"], { cwd: STACK_DIR, stdio: "ignore" });
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
    console.error(`[stage1] FAILED: ${err instanceof BenchError ? err.message : (err?.stack ?? err)}`);
    cleanup();
    process.exit(1);
  },
);
