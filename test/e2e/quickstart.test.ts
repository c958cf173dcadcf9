import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ensureBinary, ROOT } from "../helpers/env";

// The README's first command on this machine (its engine answers already): twice, in a
// state directory and demo stack of its own. What it prints last must work when pasted.
let tmp: string;
let state: string;
let demo: string;

const quickstart = () => {
  const started = Date.now();
  const r = spawnSync("bash", [join(ROOT, "scripts/quickstart.sh")], {
    env: { ...process.env, BACKUP_TUI_STATE_DIR: state, BACKUP_TUI_DEMO_DIR: demo },
    encoding: "utf8",
    timeout: 280_000,
  });
  return { code: r.status, out: r.stdout + r.stderr, ms: Date.now() - started };
};

beforeAll(() => {
  ensureBinary();
  tmp = mkdtempSync(join(tmpdir(), "btui-quickstart-"));
  state = join(tmp, "state");
  demo = join(tmp, `qs${process.pid}`);
});

afterAll(() => {
  spawnSync("docker", ["compose", "down", "-v", "--timeout", "1"], { cwd: demo, encoding: "utf8" });
  rmSync(tmp, { recursive: true, force: true });
});

describe("scripts/quickstart.sh", () => {
  it("Given an engine that answers, When run twice, Then it backs up, says how long it took and the next commands, which work pasted; the second run builds and installs nothing", () => {
    const first = quickstart();
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/==> Docker \S+, API \S+ at \S+/);
    expect(first.out).not.toMatch(/installing|starting dockerd|starting docker\.service/);
    expect(first.out).toMatch(/quickstart done in \d+ s\. Next:/);
    const prefix = `BACKUP_TUI_STATE_DIR=${state} `;
    const lines = first.out.split("\n").map((l) => l.trim());
    for (const c of [`${prefix}${BIN}`, `${prefix}${BIN} status`, `${prefix}${BIN} schedule install --systemd`])
      expect(lines).toContain(c);

    // Pasted into a new shell that knows nothing of the quickstart's environment.
    const { BACKUP_TUI_STATE_DIR: _, ...clean } = process.env;
    const status = spawnSync("bash", ["-c", `${prefix}${BIN} status`], { cwd: tmpdir(), env: clean, encoding: "utf8" });
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`qs${process.pid}\\s+\\S+ \\S+\\s+\\d+ min\\s+succeeded`));

    const second = quickstart();
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain("bin/backup-tui is up to date");
    expect(second.out).not.toMatch(/installing|building bin\/backup-tui|starting dockerd/);
    expect(second.out).toMatch(/quickstart done in \d+ s\. Next:/);
    expect(second.ms).toBeLessThan(60_000);
  });
});

describe("the engine check: scripts/lib/docker-engine.sh and `backup-tui doctor` on this host", () => {
  const shell = (env: NodeJS.ProcessEnv) =>
    spawnSync("bash", ["-c", `. ${join(ROOT, "scripts/lib/docker-engine.sh")}; engine_ensure`], {
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
  const doctor = (env: NodeJS.ProcessEnv) => {
    const r = spawnSync(BIN, ["--json", "doctor"], {
      env: { ...process.env, BACKUP_TUI_STATE_DIR: state, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return (JSON.parse(r.stdout) as { checks: Array<{ name: string; detail: string; hint?: string }> }).checks.find(
      (c) => c.name === "docker",
    );
  };

  it("Given the engine that answers, Then both say the same version line", () => {
    const s = shell({});
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toBe(`==> ${doctor({})?.detail}\n`);
  });

  it("Given a DOCKER_HOST that does not answer, Then both say the same sentence and hint, and the script starts nothing", () => {
    const env = { DOCKER_HOST: "tcp://127.0.0.1:1" };
    const s = shell(env);
    const d = doctor(env);
    expect(s.status).toBe(1);
    expect(d?.detail).toBe("the Docker engine at DOCKER_HOST=tcp://127.0.0.1:1 does not answer");
    expect(s.stderr).toBe(`error: ${d?.detail}\nhint: ${d?.hint}\n`);
    expect(s.stdout).toBe("");
  });
});
