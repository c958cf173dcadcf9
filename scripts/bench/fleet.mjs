#!/usr/bin/env node
// `status --fleet` over many hosts' published status: how long it takes cold (every document
// read from the repository) and warm (the state store has them: one `restic snapshots`), and how
// that grows with the number of hosts.
//
//   node scripts/bench/fleet.mjs             # 10, 25, 50 hosts × 20 stacks, 5 warm runs each; writes BENCHMARKS.md's section
//   node scripts/bench/fleet.mjs --smoke     # 5 hosts, 2 runs, prints only
//   options: --hosts 10,25,50, --stacks N, --runs N, --bench-file FILE
//
// Needs bin/backup-tui (`npm run build`) and restic; no Docker. The status documents are
// synthetic (written with `restic backup --stdin` under each host's name, as a host publishes
// them); the repository is local, so the figures are backup-tui's and restic's own cost, not a
// network's. Everything is under one temp dir, removed at the end.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { BIN, median, ROOT, sh, timed, writeSection } from "./lib.mjs";

const { values: opt } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    hosts: { type: "string" },
    stacks: { type: "string" },
    runs: { type: "string" },
    "bench-file": { type: "string" },
  },
});
const HOSTS = (opt.hosts ?? (opt.smoke ? "5" : "10,25,50")).split(",").map(Number);
const STACKS = Number(opt.stacks ?? 20);
const RUNS = Number(opt.runs ?? (opt.smoke ? 2 : 5));
const BENCH_FILE = opt["bench-file"] ?? (opt.smoke ? undefined : path.join(ROOT, "BENCHMARKS.md"));
const TARGET_MS = 1000;
const log = (...a) => console.error("[fleet-bench]", ...a);

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "btui-fleet-bench-"));
const repo = path.join(DIR, "repo");
const pw = path.join(DIR, "pw");
fs.writeFileSync(pw, "fleet-bench-password\n", { mode: 0o600 });
const config = path.join(DIR, "config.ini");
fs.writeFileSync(config, `[local_backup]\nRESTIC_REPOSITORY=${repo}\nRESTIC_PASSWORD_FILE=${pw}\nHOSTNAME=viewer\n`, {
  mode: 0o600,
});
const env = { ...process.env, NO_COLOR: "1", BACKUP_TUI_CONFIG: config, RESTIC_CACHE_DIR: path.join(DIR, "cache") };
for (const k of ["RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE"])
  delete env[k];
const resticEnv = { ...env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: pw };

/** One host's status document, as src/services/fleet/document.ts writes it. */
function document(host, now) {
  const at = (ms) => new Date(now - ms).toISOString();
  return JSON.stringify({
    format: "backup-tui-status/1",
    host,
    publishedAt: at(60_000),
    version: "bench",
    publishWithinMs: 48 * 3600_000,
    stacks: Array.from({ length: STACKS }, (_, i) => ({
      stack: `stack${String(i).padStart(2, "0")}`,
      lastGood: { at: at(3600_000), snapshot: "0".repeat(64), durationMs: 4200, downtimeMs: 310, bytesAdded: 123456 },
      last: { at: at(3600_000), status: "succeeded" },
      next: at(-20 * 3600_000),
      schedule: "0 3 * * *",
      thresholdMs: 48 * 3600_000,
      overdue: false,
      verified: { at: at(86400_000), ok: true, level: "files" },
      keep: { daily: 7, weekly: 4, monthly: 12, yearly: 3 },
    })),
    verification: { at: at(86400_000), ok: true, level: "metadata" },
    lastRun: { kind: "backup", status: "succeeded", at: at(3600_000) },
    warnings: 0,
  });
}

function fleetOnce(state) {
  const out = sh(BIN, ["--json", "status", "--fleet"], { env: { ...env, BACKUP_TUI_STATE_DIR: state } });
  const fleet = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .find((o) => o.type === "fleet");
  return fleet.hosts.length;
}

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  sh("restic", ["init", "-q"], { env: resticEnv });
  const now = Date.now();
  let published = 0;
  const rows = [];
  for (const n of HOSTS) {
    for (; published < n; published++) {
      const host = `host${String(published + 1).padStart(3, "0")}`;
      sh(
        "restic",
        [
          "backup",
          "-q",
          "--stdin",
          "--stdin-filename",
          "backup-tui-status.json",
          "--host",
          host,
          "--tag",
          "backup-tui-status",
        ],
        {
          env: resticEnv,
          input: document(host, now),
        },
      );
    }
    const state = path.join(DIR, `state-${n}`);
    let seen = 0;
    const cold = timed(() => (seen = fleetOnce(state)));
    if (seen !== n) throw new Error(`status --fleet listed ${seen} hosts, not ${n}`);
    const warm = median(Array.from({ length: RUNS }, () => timed(() => fleetOnce(state))));
    const bytes = document("host001", now).length;
    rows.push({ n, cold, warm, bytes });
    log(`${n} hosts: cold ${cold.toFixed(0)} ms, warm ${warm.toFixed(0)} ms`);
  }
  const list = ["snapshots", "--json", "--no-lock", "--tag", "backup-tui-status"];
  const plain = median(Array.from({ length: RUNS }, () => timed(() => sh("restic", list, { env: resticEnv }))));
  const biggest = rows.at(-1);
  return [
    `\`status --fleet\` against a local repository holding each host's published status (${STACKS} stacks per host, ${rows[0].bytes.toLocaleString("en")} bytes per document), ${os.cpus().length} cores; cold: an empty state store (every document read with \`restic dump\`, 4 at a time), warm: median of ${RUNS} (the documents known by snapshot id: one \`restic snapshots\`). The whole process, start to exit.`,
    "",
    "| hosts | cold | warm |",
    "|---:|---:|---:|",
    ...rows.map((r) => `| ${r.n} | ${(r.cold / 1000).toFixed(2)} s | ${(r.warm / 1000).toFixed(2)} s |`),
    "",
    `A plain \`restic snapshots --tag backup-tui-status\` of the ${biggest.n} hosts' snapshots takes ${(plain / 1000).toFixed(2)} s: the warm view's floor.`,
    "",
    `Target: under ${TARGET_MS / 1000} s warm with ${biggest.n} hosts × ${STACKS} stacks: ${biggest.warm < TARGET_MS ? "met" : "MISSED"} (${(biggest.warm / 1000).toFixed(2)} s).`,
  ].join("\n");
}

try {
  const body = await main();
  console.log(body);
  if (BENCH_FILE) {
    writeSection(
      BENCH_FILE,
      "fleet",
      "The fleet view: status --fleet over many hosts",
      "scripts/bench/fleet.mjs",
      body,
    );
    log(`wrote the fleet section of ${BENCH_FILE}`);
  }
} catch (err) {
  console.error(`[fleet-bench] FAILED: ${err.message}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(DIR, { recursive: true, force: true });
}
