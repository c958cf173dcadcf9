#!/usr/bin/env node
// Soak test of the fault promise: many backups of real stacks, each interrupted at a random
// moment by SIGKILL, SIGTERM or SIGINT; after each one (and `recover` after a SIGKILL) every
// container that ran before runs again, none that was stopped was started, and every few
// trials the repository passes `restic check` with every completed snapshot still there.
//
//   npm exec -- node scripts/soak.mjs [--trials N] [--seed S] [--report RELIABILITY.md] [--bin PATH]
//
// Needs root, docker (local/busybox:latest), restic and bin/backup-tui. Prints a table; with
// --report, replaces the soak section of that file. Exits non-zero on any violation.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
let BIN = join(ROOT, "bin", "backup-tui");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const TRIALS = Number(arg("trials", "50"));
BIN = resolve(arg("bin", BIN));
let seed = Number(arg("seed", String(Date.now() % 100000)));
const REPORT = arg("report");
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const PREFIX = `soak${process.pid}`;

const sh = (cmd, args, o = {}) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...o });
const states = () =>
  Object.fromEntries(
    sh("docker", ["ps", "-a", "--filter", `name=${PREFIX}`, "--format", "{{.Names}} {{.State}}"])
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")),
  );

const dir = mkdtempSync("/var/tmp/btui-soak-");
const stacksDir = join(dir, "stacks");
const repo = join(dir, "repo");
const config = join(dir, "config.ini");
const env = {
  ...process.env,
  BACKUP_TUI_CONFIG: config,
  BACKUP_TUI_STATE_DIR: join(dir, "state"),
  NO_COLOR: "1",
  RESTIC_PASSWORD: undefined,
};
const resticEnv = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: join(dir, "pw") };
const stacks = [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`];

function cleanup() {
  for (const s of stacks) {
    try {
      sh("docker", ["compose", "down", "-v", "--timeout", "2"], { cwd: join(stacksDir, s) });
    } catch {
      // not there
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => (cleanup(), process.exit(s === "SIGINT" ? 130 : 143)));

function setup() {
  mkdirSync(stacksDir);
  writeFileSync(join(dir, "pw"), "soak-password\n", { mode: 0o600 });
  writeFileSync(
    config,
    `[docker]\nDOCKER_STACKS_DIR=${stacksDir}\nSTOP_TIMEOUT=10\n[local_backup]\nRESTIC_REPOSITORY=${repo}\nRESTIC_PASSWORD_FILE=${join(dir, "pw")}\nKEEP_LAST=5\n`,
    { mode: 0o600 },
  );
  sh("restic", ["init", "-q"], { env: resticEnv });
  for (const s of stacks) {
    const d = join(stacksDir, s);
    mkdirSync(d);
    writeFileSync(
      join(d, "compose.yaml"),
      `services:\n  web:\n    image: local/busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]\n    stop_grace_period: 5s\n    volumes: ["data:/data"]\n  idle:\n    image: local/busybox:latest\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]\nvolumes:\n  data: {}\n`,
    );
    sh("docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: d });
    const vol = sh("docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", `${s}_data`]).trim();
    for (let i = 0; i < 200; i++) writeFileSync(join(vol, `f${i}`), `${s} ${i} `.repeat(200 + i));
    sh("docker", ["stop", `${s}-idle-1`]); // stopped before: must stay stopped
  }
  sh(BIN, ["dirlist", "sync"], { env });
  sh(BIN, ["dirlist", "enable", ...stacks], { env });
}

function backupOnce(args, killAfterMs, signal) {
  return new Promise((done) => {
    const child = spawn(BIN, ["backup", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(signal), killAfterMs);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      done({ code, sig, stderr });
    });
  });
}

/** The process groups a run noted in its state dir (restic, docker...): those still running when it died. */
const childGroups = () => {
  const d = join(dir, "state", "children");
  return existsSync(d)
    ? readdirSync(d)
        .map((n) => Number(n.replace(/\.json$/, "")))
        .filter((n) => n > 0)
    : [];
};
const groupRuns = (pgid) => {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  return readdirSync("/proc").some(
    (p) =>
      /^\d+$/.test(p) &&
      (() => {
        try {
          const st = readFileSync(`/proc/${p}/stat`, "utf8");
          const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
          return f[0] !== "Z" && Number(f[2]) === pgid;
        } catch {
          return false;
        }
      })(),
  );
};

const totals = {
  trials: 0,
  orphansLeft: 0,
  orphansFound: 0,
  diedBeforeHandlers: 0,
  faults: { SIGKILL: 0, SIGTERM: 0, SIGINT: 0 },
  completedBeforeSignal: 0,
  leftStopped: 0,
  wronglyStarted: 0,
  recoverRuns: 0,
  checks: 0,
  checkFailures: 0,
  lostSnapshots: 0,
  badExitCodes: 0,
};
const violations = [];

async function main() {
  if (!existsSync(BIN)) throw new Error("bin/backup-tui is missing: run `npm run build`");
  setup();
  const expected = states();
  const kept = new Set(); // snapshots that completed: they must stay (until retention)
  const started = Date.now();
  for (let t = 1; t <= TRIALS; t++) {
    const signal = pick(["SIGKILL", "SIGTERM", "SIGINT"]);
    const args = [...(random() < 0.5 ? ["--single-pass"] : []), ...(random() < 0.3 ? ["--parallel", "2"] : [])];
    const after = Math.floor(random() * 6000);
    const trialStart = Date.now();
    const r = await backupOnce(args, after, signal);
    totals.trials++;
    totals.faults[signal]++;
    if (r.code === 0) totals.completedBeforeSignal++;
    if (r.sig === signal && signal !== "SIGKILL") totals.diedBeforeHandlers++;
    // 0: the run finished before the signal came.
    const okCodes = { SIGKILL: [null, 0], SIGTERM: [143, 0, 1], SIGINT: [130, 0, 1] }[signal];
    // Killed by the signal itself (a shell reports 128+n, the same code): it came before the
    // handlers exist, in the first ~70 ms of start-up, before anything was stopped.
    if (r.sig !== "SIGKILL" && r.sig !== signal && !okCodes.includes(r.code)) {
      totals.badExitCodes++;
      violations.push(
        `trial ${t}: ${signal} after ${after} ms exited ${r.code}: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`,
      );
    }
    if (r.sig === "SIGKILL") {
      totals.recoverRuns++;
      const orphans = childGroups().filter(groupRuns);
      totals.orphansFound += orphans.length;
      try {
        sh(BIN, ["recover", "--wait", "2m"], { env });
      } catch (err) {
        violations.push(`trial ${t}: recover failed: ${String(err.stderr ?? err).trim()}`);
      }
      const left = orphans.filter(groupRuns);
      totals.orphansLeft += left.length;
      if (left.length)
        violations.push(`trial ${t}: process group(s) ${left.join(", ")} of the killed run still run after recover`);
    }
    const now = states();
    for (const [name, state] of Object.entries(expected)) {
      if (state === "running" && now[name] !== "running") {
        totals.leftStopped++;
        const events = sh("docker", [
          "events",
          "--since",
          new Date(trialStart - 2000).toISOString(),
          "--until",
          new Date().toISOString(),
          "--filter",
          `container=${name}`,
          "--format",
          "{{.TimeNano}} {{.Action}}",
        ])
          .trim()
          .split("\n")
          .filter((l) => /^\d+ \w+$/.test(l))
          .map((l) => `${Math.round(Number(BigInt(l.split(" ")[0]) / 1_000_000n) - trialStart)}ms:${l.split(" ")[1]}`)
          .join(" ");
        violations.push(
          `trial ${t}: ${name} is ${now[name]} after ${signal} at ${after} ms (${args.join(" ") || "two-pass"}; exit ${r.sig ?? r.code}; events since the trial began: ${events}; stderr: ${r.stderr.trim().split("\n").slice(-4).join(" | ")})`,
        );
        sh("docker", ["start", name]);
      }
      if (state !== "running" && now[name] === "running") {
        totals.wronglyStarted++;
        violations.push(`trial ${t}: ${name} was stopped before and runs after ${signal}`);
        sh("docker", ["stop", name]);
      }
    }
    if (t % 10 === 0 || t === TRIALS) {
      totals.checks++;
      try {
        // recover stopped what a SIGKILLed run left running; its stale lock is removed by unlock.
        for (let waited = 0; ; waited += 2) {
          sh("restic", ["unlock"], { env: resticEnv });
          try {
            sh("restic", ["check", "-q"], { env: resticEnv });
            break;
          } catch (err) {
            if (waited >= 60 || !/lock/i.test(String(err.stderr ?? ""))) throw err;
            await new Promise((r) => setTimeout(r, 2000));
          }
        }
      } catch (err) {
        totals.checkFailures++;
        violations.push(
          `trial ${t}: restic check failed: ${String(err.stderr ?? err)
            .trim()
            .split("\n")
            .slice(-3)
            .join(" | ")}`,
        );
      }
      const ids = new Set(
        JSON.parse(sh("restic", ["snapshots", "--json", "--no-lock"], { env: resticEnv })).map((s) => s.id),
      );
      const tagged = JSON.parse(
        sh("restic", ["snapshots", "--json", "--no-lock", "--tag", "kind:stack"], { env: resticEnv }),
      );
      // Retention (KEEP_LAST=5 per stack, AUTO_PRUNE off) never runs here: every completed snapshot stays.
      for (const id of kept) if (!ids.has(id)) totals.lostSnapshots++;
      for (const s of tagged) kept.add(s.id);
    }
    process.stderr.write(`\rtrial ${t}/${TRIALS} (${signal} at ${after} ms → ${r.sig ?? r.code})   `);
  }
  process.stderr.write("\n");
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const rows = [
    ["trials (backups of 3 stacks, interrupted at a random moment in 0–6 s)", totals.trials],
    [
      "faults injected: SIGKILL / SIGTERM / SIGINT",
      `${totals.faults.SIGKILL} / ${totals.faults.SIGTERM} / ${totals.faults.SIGINT}`,
    ],
    ["runs that finished before the signal", totals.completedBeforeSignal],
    [
      "SIGTERM/SIGINT in the first milliseconds, before the handlers exist (the process dies of the signal: exit 128+n)",
      totals.diedBeforeHandlers,
    ],
    ["`recover` runs after SIGKILL", totals.recoverRuns],
    [
      "processes (restic, docker...) a killed run left running / still running after `recover`",
      `${totals.orphansFound} / ${totals.orphansLeft}`,
    ],
    ["containers left stopped", totals.leftStopped],
    ["containers started that were stopped before", totals.wronglyStarted],
    ["exit codes other than documented", totals.badExitCodes],
    ["restic check runs / failures", `${totals.checks} / ${totals.checkFailures}`],
    ["completed snapshots lost", totals.lostSnapshots],
  ];
  const table = ["| measure | count |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
  const header = `Run ${new Date().toISOString().slice(0, 16)}Z · \`node scripts/soak.mjs --trials ${TRIALS} --seed ${arg("seed", "(time)")}\` · ${minutes} min · ${cpus().length} CPUs · host ${hostname()} · ${sh(BIN, ["--version"]).trim()} · ${sh("restic", ["version"]).trim().split(" ").slice(0, 2).join(" ")}`;
  console.log(`${header}\n\n${table}`);
  if (violations.length) console.log(`\nVIOLATIONS:\n${violations.join("\n")}`);
  if (REPORT) {
    const begin = "<!-- soak:begin (generated by scripts/soak.mjs; edits inside are overwritten) -->";
    const end = "<!-- soak:end -->";
    const body = `${begin}\n## Soak: interrupted backups\n\n${header}\n\n${table}\n${violations.length ? `\nViolations:\n\n${violations.map((v) => `- ${v}`).join("\n")}\n` : ""}${end}`;
    const old = existsSync(REPORT) ? readFileSync(REPORT, "utf8") : "# Reliability\n";
    const next = old.includes(begin)
      ? old.replace(new RegExp(`${begin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[\\s\\S]*?${end}`), body)
      : `${old.trimEnd()}\n\n${body}\n`;
    writeFileSync(REPORT, next);
  }
  return violations.length ? 1 : 0;
}

main()
  .then((code) => {
    cleanup();
    process.exit(code);
  })
  .catch((err) => {
    console.error(`FAILED: ${err.stack ?? err}`);
    cleanup();
    process.exit(2);
  });
