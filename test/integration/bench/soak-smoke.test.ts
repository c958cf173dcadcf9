import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../../helpers/env";
import { docker } from "../../helpers/stacks";

// scripts/soak.mjs in a few trials, so the script that fills RELIABILITY.md does not rot.
describe("scripts/soak.mjs", () => {
  it("runs interrupted backups, finds nothing left stopped, writes its section into a report and cleans up", () => {
    ensureBinary();
    const report = join(tmpdir(), `soak-report-${process.pid}.md`);
    writeFileSync(report, "# Reliability\n\nhand-written intro stays\n");
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "scripts", "soak.mjs"), "--trials", "3", "--seed", "11", "--report", report],
      { encoding: "utf8", timeout: 240_000 },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| containers left stopped \| 0 \|/);
    expect(r.stdout).toMatch(/\| faults injected: SIGKILL \/ SIGTERM \/ SIGINT \| \d+ \/ \d+ \/ \d+ \|/);
    expect(r.stdout).toMatch(/\| restic check runs \/ failures \| 1 \/ 0 \|/);
    expect(r.stdout).toMatch(
      /\| processes \(restic, docker\.\.\.\) a killed run left running \/ still running after `recover` \| \d+ \/ 0 \|/,
    );
    const text = readFileSync(report, "utf8");
    expect(text).toContain("hand-written intro stays");
    expect(text).toMatch(/<!-- soak:begin[\s\S]*\| trials .* \| 3 \|[\s\S]*<!-- soak:end -->/);
    expect(docker(["ps", "-a", "--filter", `name=soak${r.pid}`, "-q"]).trim()).toBe("");
  });
});
