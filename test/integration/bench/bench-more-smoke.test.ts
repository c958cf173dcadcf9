import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../../helpers/env";
import { docker } from "../../helpers/stacks";

// Keeps scripts/bench/more.mjs from rotting: every measurement once on tiny sizes (~1–2 min),
// written into a copy of BENCHMARKS.md (the real file is never touched).
const SCRIPT = join(ROOT, "scripts", "bench", "more.mjs");
const BEGIN = "<!-- more:begin";
const END = "<!-- more:end -->";

function bench(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const clean: NodeJS.ProcessEnv = { ...env };
  for (const k of [
    "RESTIC_REPOSITORY",
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_FILE",
    "BACKUP_TUI_CONFIG",
    "BACKUP_TUI_STATE_DIR",
  ])
    delete clean[k];
  const r = spawnSync(process.execPath, [SCRIPT, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: clean,
    timeout: 280_000,
  });
  const m = /projects (bench-more-\d+)-\*, workdir (\S+), tmux socket (\S+)/.exec(r.stderr);
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, prefix: m?.[1], workdir: m?.[2], socket: m?.[3] };
}

/** Nothing the script made is left: no container, no volume, no temp dir, no tmux server. */
function expectCleanedUp(r: ReturnType<typeof bench>) {
  expect(r.prefix, r.stderr.slice(-2000)).toBeDefined();
  expect(docker(["ps", "-a", "--format", "{{.Names}}", "--filter", `name=${r.prefix}`]).trim()).toBe("");
  expect(docker(["volume", "ls", "-q", "--filter", `name=${r.prefix}`]).trim()).toBe("");
  expect(existsSync(r.workdir!)).toBe(false);
  expect(spawnSync("tmux", ["-L", r.socket!, "list-sessions"], { encoding: "utf8" }).status).not.toBe(0);
}

describe("scripts/bench/more.mjs", () => {
  let dir: string;
  beforeAll(() => {
    ensureBinary();
    dir = mkdtempSync(join(tmpdir(), "btui-bench-more-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("--smoke measures all four parts, appends its section to a copy of BENCHMARKS.md leaving the rest as it was, and cleans up", () => {
    const file = join(dir, "BENCHMARKS.md");
    copyFileSync(join(ROOT, "BENCHMARKS.md"), file);
    const before = readFileSync(file, "utf8");

    const r = bench(["--smoke", "--bench-file", file]);

    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).not.toContain("FAILED");
    const md = readFileSync(file, "utf8");
    expect(md.match(/<!-- more:begin/g)).toHaveLength(1);
    expect(md.match(/<!-- more:end -->/g)).toHaveLength(1);
    const section = md.slice(md.indexOf(BEGIN), md.indexOf(END) + END.length);
    // Everything outside the section is as it was, byte for byte: the section is appended when
    // the file has none (as BENCHMARKS.md before the first full run), else replaced in place.
    const i = before.indexOf(BEGIN);
    if (i < 0) {
      expect(md).toBe(`${before.trimEnd()}\n\n${section}\n`);
    } else {
      expect(md).toBe(before.slice(0, i) + section + before.slice(before.indexOf(END, i) + END.length));
    }
    expect(section).toContain("## More: start-up, memory, parallel backups, restore");
    expect(section).toMatch(
      /- Machine: \d+ × .+, [\d.]+ GiB memory, kernel \S+; load average [\d. ]+ at the start, [\d. ]+ at the end/,
    );
    expect(section).toMatch(/- Versions: backup-tui \S+ .*restic \d+\.\d+\.\d+, Docker \S+, Compose \S+/);
    expect(section).toMatch(/^Run \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /m);

    // 1. Start-up: each command, and the TUI's first frame, with numbers and a verdict on the targets.
    expect(section).toContain("| command | runs | min | median | spread | mean ± σ | median − `node -e 0` | target |");
    for (const cmd of ["`node -e 0`", "`restic version`", "`backup-tui --help`", "`backup-tui stacks --json`"]) {
      expect(section).toMatch(
        new RegExp(
          `\\| ${cmd.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[^|]* \\| \\d+ \\| \\d+ \\| \\d+ \\| \\d+ \\| \\d+ ± \\d+ \\|`,
        ),
      );
    }
    expect(section).toMatch(
      /\| `backup-tui --version` \| \d+ \| \d+ \| \d+ \| \d+ \| \d+ ± \d+ \| -?\d+ \| ≤ 150 ms: (met|MISSED) \|/,
    );
    expect(section).toMatch(
      /\| first frame: `\[1 Dashboard\]` shown \| 1 \| \d+ \| \d+ \| \d+ \| ≤ 500 ms: (met|MISSED) \|/,
    );
    expect(section).toMatch(/\| harness floor: [^|]+ \| 1 \| \d+ \|/);
    // 2. Memory: backup-tui and restic separately, the TUI with its seeded catalog.
    expect(section).toContain("### Peak memory (MB = 10⁶ bytes)");
    expect(section).toMatch(
      /\| backup-tui: `backup NAME` of [^|]+ \| 1 \| \d+\.\d \| \d+\.\d \| \d+\.\d \| ≤ 200 MB: (met|MISSED) \|/,
    );
    expect(section).toMatch(/\|\s+its `restic backup` children [^|]+ \| 1 \| \d+\.\d \|/);
    expect(section).toMatch(
      /\|\s+snapshots screen \(4\): latest 5 per stack, 20 rows \| 1 \| \d+\.\d \| \d+\.\d \| \d+\.\d \| ≤ 200 MB: (met|MISSED) \|/,
    );
    expect(section).toMatch(/\|\s+every snapshot \(a\): 1000 rows[^|]* \| 1 \| \d+\.\d \|/);
    // 3. Parallelism.
    expect(section).toMatch(/\| `--parallel 1` \| 1 \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| 1\.00 \|/);
    expect(section).toMatch(/\| `--parallel 2` \| 1 \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \|/);
    // 4. Restore: raw restic, --target, in place.
    expect(section).toMatch(
      /\| raw `restic restore ID --target DIR` \| 1 \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| 1\.00 \| - \|/,
    );
    expect(section).toMatch(
      /\| `backup-tui restore --stack NAME --target DIR` \| 1 \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| - \|/,
    );
    expect(section).toMatch(
      /\| `backup-tui restore --stack NAME --yes` \(in place\) \| 1 \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \|/,
    );
    expect(section).toMatch(/^Noise: spread\/median up to \d+%/m);
    expect(section).toMatch(/^(All targets met|Targets missed: )/m);
    expect(section).not.toMatch(/NaN|undefined|Infinity/);
    // The same body went to stdout.
    expect(r.stdout).toContain("### Restore (s)");
    expectCleanedUp(r);
  });

  it("exits non-zero with FAILED and writes no figure when a measured operation fails, and still cleans up", () => {
    // A restic whose backups fail: the first measured backup-tui backup (memory) fails.
    const fake = join(dir, "fake-bin");
    mkdirSync(fake, { recursive: true });
    const real = spawnSync("sh", ["-c", "command -v restic"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(
      join(fake, "restic"),
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = backup ] && { echo "simulated failure" >&2; exit 1; }; done\nexec ${real} "$@"\n`,
    );
    chmodSync(join(fake, "restic"), 0o755);
    const file = join(dir, "BENCHMARKS-fail.md");
    const original = "# Benchmarks\n\n<!-- more:begin (old) -->\nold figures\n<!-- more:end -->\n\n## After\nkept\n";
    writeFileSync(file, original);

    const r = bench(["--smoke", "--bench-file", file], { ...process.env, PATH: `${fake}:${process.env.PATH}` });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/FAILED: memory #1: backup-tui (backup exited|run )/);
    expect(r.stdout).not.toContain("|");
    expect(readFileSync(file, "utf8")).toBe(original);
    expectCleanedUp(r);
  });
});
