import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../../helpers/env";
import { docker } from "../../helpers/stacks";

// Keeps scripts/bench/stage1.mjs from rotting: the real measurements on a tiny stack (~1 min).
const SCRIPT = join(ROOT, "scripts", "bench", "stage1.mjs");
const OLD_SECTION = "<!-- stage1:begin (old) -->\n## Stage 1\nstale figures\n<!-- stage1:end -->";

function bench(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", env, timeout: 280_000 });
  const m = /project (bench-stage1-\d+), workdir (\S+)/.exec(r.stderr);
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, project: m?.[1], workdir: m?.[2] };
}

/** Nothing the script made is left: no container, no volume, no temp dir. */
function expectCleanedUp(project: string | undefined, workdir: string | undefined) {
  expect(project).toBeDefined();
  expect(docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim()).toBe("");
  expect(docker(["volume", "ls", "-q", "--filter", `name=${project}_`]).trim()).toBe("");
  expect(existsSync(workdir!)).toBe(false);
}

describe("scripts/bench/stage1.mjs", () => {
  let dir: string;
  beforeAll(() => {
    ensureBinary();
    dir = mkdtempSync(join(tmpdir(), "btui-bench-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("--smoke measures every case, prints the tables, replaces only its own section of the bench file, and cleans up", () => {
    const file = join(dir, "BENCHMARKS.md");
    writeFileSync(file, `# Benchmarks\n\nintro\n\n${OLD_SECTION}\n\n## Stage 2\nkept as it is\n`);

    const r = bench(["--smoke", "--bench-file", file]);

    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    for (const header of [
      "### Downtime (s)",
      "| case | mode | downtime min |",
      "### Orchestration overhead",
      "| case | comparison |",
      "### Inside the stop window",
    ]) {
      expect(r.stdout).toContain(header);
    }
    expect(r.stdout).toMatch(/\| first \| two-pass \| \d+\.\d\d \|/);
    expect(r.stdout).not.toMatch(/NaN|undefined|Infinity/);
    const md = readFileSync(file, "utf8");
    expect(md).not.toContain("stale figures");
    expect(md.match(/<!-- stage1:begin/g)).toHaveLength(1);
    expect(md).toContain("## Stage 1: backup downtime and orchestration overhead");
    expect(md).toMatch(/^# Benchmarks\n\nintro\n/);
    expect(md).toContain("## Stage 2\nkept as it is\n");
    expectCleanedUp(r.project, r.workdir);
  });

  it("exits non-zero without a figure when a measured operation fails, and still cleans up", () => {
    // A restic whose backups fail: the first backup-tui run inside the script fails.
    const fake = join(dir, "fake-bin");
    spawnSync("mkdir", ["-p", fake]);
    writeFileSync(
      join(fake, "restic"),
      `#!/bin/sh\n[ "$1" = backup ] && { echo "simulated failure" >&2; exit 1; }\nexec /usr/local/bin/restic "$@"\n`,
    );
    chmodSync(join(fake, "restic"), 0o755);

    const r = bench(["--smoke"], { ...process.env, PATH: `${fake}:${process.env.PATH}` });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("FAILED");
    expect(r.stdout).not.toContain("| case |");
    expectCleanedUp(r.project, r.workdir);
  });
});
