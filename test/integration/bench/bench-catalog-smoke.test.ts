import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../../helpers/env";

// Keeps scripts/bench/catalog.sh from rotting: the real measurements on ~50 snapshots in a temp dir (< 1 min).
const SCRIPT = join(ROOT, "scripts", "bench", "catalog.sh");

function smoke(extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const k of [
    "RESTIC_REPOSITORY",
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_FILE",
    "BACKUP_TUI_CONFIG",
    "BACKUP_TUI_STATE_DIR",
  ])
    delete env[k];
  return spawnSync("bash", [SCRIPT, "--smoke"], { cwd: ROOT, encoding: "utf8", env, timeout: 240_000 });
}

describe("scripts/bench/catalog.sh --smoke", () => {
  let dir: string;
  beforeAll(() => {
    ensureBinary();
    dir = mkdtempSync(join(tmpdir(), "btui-catalog-bench-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("builds a small real repository, measures catalog and restic, and prints the table", () => {
    const r = smoke();

    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain(
      "| benchmark | rows | mean (s) | min (s) | max (s) | σ (s) | σ/mean | CPU (s) | runs | target < 0.2 s |",
    );
    expect(r.stdout).toMatch(/\| `backup-tui snapshots --stack \S+` \| \d+ \| \d+\.\d{3} \|/);
    expect(r.stdout).toMatch(/\| `restic snapshots --json --tag stack:\S+` \| \d+ \| \d+\.\d{3} \|/);
    expect(r.stdout).toMatch(/\| `backup-tui find 'needle\*' --stack \S+ \(indexed\)` \| [1-9]\d* \|/);
    expect(r.stdout).not.toMatch(/NaN|undefined|Infinity/);
    expect(r.stderr).not.toContain("FAILED");
    // The smoke repository lives in the script's temp dir, which is gone afterwards.
    const work = /work dir (\S+)/.exec(r.stderr)?.[1];
    expect(work).toBeDefined();
    expect(existsSync(work!)).toBe(false);
  });

  it("exits non-zero with FAILED and no table when a measured command fails", () => {
    // `restic snapshots --json --tag ...` works for the untimed sanity run, then fails inside hyperfine.
    const fake = join(dir, "bin");
    spawnSync("mkdir", ["-p", fake]);
    writeFileSync(
      join(fake, "restic"),
      `#!/bin/sh\nif [ "$1" = snapshots ] && [ "$3" = --tag ]; then\n  n=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${dir}/count"\n  [ "$n" -ge 2 ] && { echo "simulated failure" >&2; exit 1; }\nfi\nexec /usr/local/bin/restic "$@"\n`,
    );
    chmodSync(join(fake, "restic"), 0o755);

    const r = smoke({ PATH: `${fake}:${process.env.PATH}` });

    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("FAILED: measured command failed: restic snapshots --json --tag");
    expect(r.stdout).not.toContain("| benchmark |");
    const work = /work dir (\S+)/.exec(r.stderr)?.[1];
    expect(work && existsSync(work)).toBe(false);
  });
});
