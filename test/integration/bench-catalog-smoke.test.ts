import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../helpers/env";

// Keeps scripts/bench/catalog.sh from rotting: the real measurements on ~50 snapshots in a temp dir (< 1 min).
const SCRIPT = join(ROOT, "scripts", "bench", "catalog.sh");

describe("scripts/bench/catalog.sh --smoke", () => {
  beforeAll(() => {
    ensureBinary();
  });

  it("builds a small real repository, measures catalog and restic, and prints the table", () => {
    const env = { ...process.env };
    for (const k of ["RESTIC_REPOSITORY", "RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "BACKUP_TUI_CONFIG", "BACKUP_TUI_STATE_DIR"]) delete env[k];
    const r = spawnSync("bash", [SCRIPT, "--smoke"], { cwd: ROOT, encoding: "utf8", env, timeout: 240_000 });

    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain("| benchmark | rows | mean (s) | min (s) | max (s) | σ (s) | σ/mean | runs | target < 0.2 s |");
    expect(r.stdout).toMatch(/\| `backup-tui snapshots --stack \S+` \| \d+ \| \d+\.\d{3} \|/);
    expect(r.stdout).toMatch(/\| `restic snapshots --json --tag stack:\S+` \| \d+ \| \d+\.\d{3} \|/);
    expect(r.stdout).toMatch(/\| `backup-tui find 'needle\*' --stack \S+ \(indexed\)` \| [1-9]\d* \|/);
    expect(r.stdout).not.toMatch(/NaN|undefined|Infinity/);
    expect(r.stderr).not.toContain("FAILED");
    // The smoke repository lives in the script's temp dir, which is gone afterwards.
    const work = /work dir (\S+)/.exec(r.stderr)?.[1];
    expect(work).toBeDefined();
    expect(spawnSync("test", ["-e", work!]).status).not.toBe(0);
  });
});
