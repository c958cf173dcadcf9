import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../helpers/env";

// The compiled executable on its own: copied alone into an empty directory and run with a PATH
// that holds only the tools it drives. No Node.js, no node_modules, no sources beside it.
const TOOLS = ["restic", "rclone", "docker", "du", "sh"];
const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;

let tmp: string;
let appDir: string;
let exe: string;
let env: NodeJS.ProcessEnv;
let stateDir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], extra: NodeJS.ProcessEnv = {}): Run {
  const started = Date.now();
  const r = spawnSync(exe, args, { cwd: appDir, env: { ...env, ...extra }, encoding: "utf8", timeout: 240_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

const noStackTrace = (r: Run) => expect(r.stderr + r.stdout).not.toMatch(/^\s+at /m);

beforeAll(() => {
  const bin = ensureBinary();
  tmp = mkdtempSync(join(tmpdir(), "btui-e2e-"));
  appDir = join(tmp, "app");
  mkdirSync(appDir);
  exe = join(appDir, "backup-tui");
  copyFileSync(bin, exe);
  execFileSync("chmod", ["755", exe]);

  const tools = join(tmp, "tools");
  mkdirSync(tools);
  for (const t of TOOLS) {
    const real = execFileSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).trim();
    symlinkSync(real, join(tools, t));
  }
  stateDir = join(tmp, "state");
  mkdirSync(join(tmp, "home"));
  env = { PATH: tools, HOME: join(tmp, "home"), BACKUP_TUI_STATE_DIR: stateDir, NO_COLOR: "1", LANG: "C.UTF-8" };
  if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the single executable", () => {
  it("Given only the binary in an empty directory and a PATH without node, When it is listed, Then it is one file", () => {
    expect(readdirSync(appDir)).toEqual(["backup-tui"]);
    const which = spawnSync(join(tmp, "tools", "sh"), ["-c", "command -v node nodejs"], { env: { PATH: env.PATH } });
    expect(which.status, "node must not be reachable on the test PATH").not.toBe(0);
    const size = statSync(exe).size;
    console.log(`backup-tui executable: ${(size / 1048576).toFixed(1)} MB (${size} bytes)`);
    expect(size).toBeGreaterThan(10 * 1048576);
  });

  it("Given --version, When run, Then it prints the package version and exits 0", () => {
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    expect(r.stderr).toBe("");
    console.log(`--version: ${r.ms} ms`);
  });

  it("Given --help, When run, Then it lists the commands and exits 0", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    for (const c of [
      "backup",
      "stacks",
      "dirlist",
      "recover",
      "snapshots",
      "init",
      "doctor",
      "config",
      "unlock",
      "status",
      "history",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, "m"));
    }
  });

  it("Given no config at all, When `doctor --json` runs, Then it prints every check as JSON with Docker and restic ok", () => {
    const r = run(["doctor", "--json"]);
    noStackTrace(r);
    const report = JSON.parse(r.stdout);
    const checks = report.checks as Array<{ name: string; status: string; detail: string }>;
    const status = (n: string) => checks.find((c) => c.name === n)?.status;
    expect(report.type).toBe("doctor");
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "docker",
        "compose",
        "restic",
        "rclone",
        "config",
        "permissions",
        "repository",
        "state dir",
      ]),
    );
    for (const c of checks) expect(["ok", "warn", "fail"]).toContain(c.status);
    expect(status("docker")).toBe("ok");
    expect(status("restic")).toBe("ok");
    expect(status("config")).toBe("ok");
    expect(status("repository")).toBe("warn"); // the embedded default creates it on first backup
    expect(r.code).toBe(checks.some((c) => c.status === "fail") ? 1 : 0);
    expect(existsSync(join(stateDir, "repository"))).toBe(false); // the doctor changes nothing
  });

  describe("init", () => {
    const cfgDir = () => join(tmp, "cfg");
    const pwFile = () => join(cfgDir(), "restic-password");
    const mode = (p: string) => statSync(p).mode & 0o777;

    it("Given an empty directory, When `init --dir` runs, Then it writes config.ini and a password file (0600) and creates the repository", () => {
      const r = run(["init", "--dir", cfgDir()]);
      noStackTrace(r);
      expect(r.code, r.stderr).toBe(0);
      expect(mode(join(cfgDir(), "config.ini"))).toBe(0o600);
      expect(mode(pwFile())).toBe(0o600);
      const config = readFileSync(join(cfgDir(), "config.ini"), "utf8");
      expect(config).toContain(`RESTIC_REPOSITORY=${join(stateDir, "repository")}`);
      expect(config).toContain(`RESTIC_PASSWORD_FILE=${pwFile()}`);
      expect(config).toMatch(/^#DOCKER_STACKS_DIR=/m);
      // The warning names the password file and never shows the password.
      expect(r.stdout).toContain("losing the repository password loses EVERY backup");
      expect(r.stdout).toContain(pwFile());
      const password = readFileSync(pwFile(), "utf8").trim();
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(r.stdout + r.stderr).not.toContain(password);
      // restic itself opens the new repository with that password file.
      const snapshots = execFileSync("restic", ["snapshots", "--json"], {
        env: {
          PATH: env.PATH,
          HOME: env.HOME,
          RESTIC_REPOSITORY: join(stateDir, "repository"),
          RESTIC_PASSWORD_FILE: pwFile(),
          RESTIC_CACHE_DIR: join(tmp, "cache"),
        },
        encoding: "utf8",
      });
      expect(JSON.parse(snapshots)).toEqual([]);
    });

    it("Given init already ran, When it runs again, Then it exits 0, says everything exists and changes nothing", () => {
      const before = readFileSync(pwFile(), "utf8");
      const configBefore = readFileSync(join(cfgDir(), "config.ini"), "utf8");
      const r = run(["init", "--dir", cfgDir()]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/config:.*exists/);
      expect(r.stdout).toMatch(/repository:.*exists/);
      expect(readFileSync(pwFile(), "utf8")).toBe(before);
      expect(readFileSync(join(cfgDir(), "config.ini"), "utf8")).toBe(configBefore);

      const json = run(["init", "--json"], { BACKUP_TUI_CONFIG: join(cfgDir(), "config.ini") });
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        type: "init",
        config: { file: join(cfgDir(), "config.ini"), status: "exists" },
        password: { file: pwFile(), status: "exists" },
        repository: { status: "exists" },
      });
    });

    it("Given a repository the embedded default created (no config yet), When init writes a config, Then that repository's password comes along", () => {
      const state = join(tmp, "state-embedded");
      mkdirSync(state, { mode: 0o700 });
      writeFileSync(join(state, "password"), "embedded-default-password-0123456789\n", { mode: 0o600 });
      execFileSync("restic", ["init", "-q"], {
        env: {
          PATH: env.PATH,
          HOME: env.HOME,
          RESTIC_REPOSITORY: join(state, "repository"),
          RESTIC_PASSWORD_FILE: join(state, "password"),
          RESTIC_CACHE_DIR: join(tmp, "cache"),
        },
      });
      const dir = join(tmp, "cfg-embedded");
      const r = run(["init", "--dir", dir], { BACKUP_TUI_STATE_DIR: state });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/password:.*copied from/);
      expect(r.stdout).toMatch(/repository:.*exists/);
      expect(readFileSync(join(dir, "restic-password"), "utf8")).toBe("embedded-default-password-0123456789\n");
      expect(mode(join(dir, "restic-password"))).toBe(0o600);
    });

    it("Given the config init wrote, When `doctor` runs, Then the repository opens and the files are private", () => {
      const r = run(["doctor", "--json"], { BACKUP_TUI_CONFIG: join(cfgDir(), "config.ini") });
      const checks = JSON.parse(r.stdout).checks as Array<{ name: string; status: string }>;
      const status = (n: string) => checks.find((c) => c.name === n)?.status;
      expect(status("repository")).toBe("ok");
      expect(status("permissions")).toBe("ok");
      expect(status("state dir")).toBe("ok");
    });
  });

  describe("errors", () => {
    const broken = () => {
      const file = join(tmp, "broken.ini");
      writeFileSync(file, `[docker]\nSTOP_STRATEGY=explode\n[local_backup]\nRESTIC_REPOSITORY=${join(tmp, "repo")}\n`, {
        mode: 0o600,
      });
      return file;
    };

    it("Given a config with a bad value, When `config validate` runs, Then it exits 78 naming the key, without a stack trace", () => {
      const r = run(["--config", broken(), "config", "validate"]);
      expect(r.code).toBe(78);
      expect(r.stderr).toContain("STOP_STRATEGY");
      expect(r.stderr).toContain("broken.ini:2");
      noStackTrace(r);
    });

    it("Given a config with a bad value, When `doctor` runs, Then it still reports every check and exits 1", () => {
      const r = run(["--config", broken(), "doctor"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^FAIL\s+config\s+.*STOP_STRATEGY/m);
      expect(r.stdout).toMatch(/^OK\s+docker/m);
      expect(r.stdout).toMatch(/^OK\s+restic/m);
      noStackTrace(r);
    });

    it("Given an unknown command, When run, Then it exits 2", () => {
      const r = run(["frobnicate"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown command/i);
      noStackTrace(r);
    });
  });
});
