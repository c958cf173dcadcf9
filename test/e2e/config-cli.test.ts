import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, ROOT } from "../helpers/env";

// The config commands as a user meets them: the built executable, no Docker or restic needed.
let bin: string;
let dir: string;
const SOCKET = `btui-cfg-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(args: string[], extra: NodeJS.ProcessEnv = {}): Run {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    BACKUP_TUI_STATE_DIR: join(dir, "state"),
    NO_COLOR: "1",
    ...extra,
  };
  const r = spawnSync(bin, args, { env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}
const show = (r: Run) =>
  `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 3000)}\n--- stderr\n${r.stderr.slice(0, 3000)}`;
function config(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `[local_backup]\nRESTIC_REPOSITORY=${join(dir, "repo")}\nRESTIC_PASSWORD_FILE=${join(dir, "pw")}\n${text}`,
    { mode: 0o600 },
  );
  return file;
}
const hashOf = (file: string) => /^CONFIRM_PASSWORD_HASH=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1];

beforeAll(() => {
  bin = ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "btui-cfg-e2e-"));
  mkdirSync(join(dir, "state"));
}, 240_000);
afterAll(() => {
  try {
    tmux("kill-server");
  } catch {
    // no server left
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("config example / show / validate on the binary", () => {
  it("config example prints exactly config.example.ini (the reference a user with only the binary has)", () => {
    const r = run(["config", "example"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, "config.example.ini"), "utf8"));
  });

  it("config show prints the INI keys per section: documented defaults applied and said, secrets masked, no internal names", () => {
    const file = config(
      "show.ini",
      "HOSTNAME=h1\n[docker]\nSTOP_TIMEOUT=12\n[notify]\nGOTIFY_TOKEN=tok-Secret-123\n[stack:web]\nKEEP_DAILY=30\n",
    );
    const r = run(["--config", file, "config", "show"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^\[docker\]\nDOCKER_TIMEOUT=300 +; default\nSTOP_TIMEOUT=12\n/m);
    expect(r.stdout).toMatch(/^KEEP_DAILY=7 +; default$/m);
    expect(r.stdout).toMatch(/^TWO_PASS=true +; default$/m);
    expect(r.stdout).toMatch(/^KEEP_YEARLY=3 +; default$/m);
    expect(r.stdout).toMatch(/^\[stack:web\]\nKEEP_DAILY=30\n/m);
    expect(r.stdout).toMatch(/^GOTIFY_TOKEN=\*\*\*$/m);
    expect(r.stdout).not.toContain("tok-Secret-123");
    expect(r.stdout).not.toMatch(/stopTimeoutSec|"retention"/);
    const j = run(["--config", file, "--json", "config", "show"]);
    expect(JSON.parse(j.stdout).retention.keep).toEqual({ daily: 7, weekly: 4, monthly: 12, yearly: 3 });
  });

  it("config validate: STOP_TIMEOUT=10s says what a number of seconds is; all problems (and warnings) in line order", () => {
    const file = config(
      "bad.ini",
      "[cloud-sync]\nRCLONE_REMOTE=x\n[docker]\nSTOP_TIMEOUT=10s\nKEEP_DAILY=2\n[schedule]\nBACKUP=99 3 * * *\n",
    );
    const r = run(["--config", file, "config", "validate"]);
    expect(r.code, show(r)).toBe(78);
    expect(r.stderr).toContain(
      `${file}:7: [docker] STOP_TIMEOUT: must be a number of seconds (1 to 604800), e.g. 10 (got "10s")`,
    );
    expect(r.stderr).toContain(`${file}:10: [schedule] BACKUP: not a valid cron expression`);
    expect(r.stderr).toContain(
      `${file}:4: unknown section [cloud-sync] (ignored, with its 1 key(s)); did you mean [cloud_sync]?`,
    );
    expect(r.stderr).toContain(
      `${file}:8: unknown key KEEP_DAILY in [docker] (ignored): it belongs in [local_backup] or a [stack:NAME] section`,
    );
    expect(r.stderr).not.toMatch(/NaN|Invalid input/);
    expect(r.stderr.indexOf(":7:")).toBeLessThan(r.stderr.indexOf(":10:"));
    expect(r.stderr).toContain(`backup-tui --config ${file} config example`); // the file this run was given
  });

  it("config validate: a PRUNE schedule whose policy keeps nothing fails validation naming the keys", () => {
    const file = config(
      "prune.ini",
      "KEEP_DAILY=0\nKEEP_WEEKLY=0\nKEEP_MONTHLY=0\nKEEP_YEARLY=0\n[schedule]\nPRUNE=0 4 * * 0\n",
    );
    const r = run(["--config", file, "config", "validate"]);
    expect(r.code, show(r)).toBe(78);
    expect(r.stderr).toContain("[local_backup] KEEP_*: the keep policy keeps no snapshot");
    expect(r.stderr).toContain("[schedule] PRUNE job cannot succeed");
  });

  it("doctor: the same PRUNE schedule is a failed 'schedules' check naming the keys, not 'all good'", () => {
    const file = config(
      "prune-doctor.ini",
      "KEEP_DAILY=0\nKEEP_WEEKLY=0\nKEEP_MONTHLY=0\nKEEP_YEARLY=0\n[schedule]\nPRUNE=0 4 * * 0\n",
    );
    const r = run(["--config", file, "doctor"], { DOCKER_HOST: "unix:///nonexistent.sock" });
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^FAIL\s+schedules\s+\[local_backup\] KEEP_\*: the keep policy keeps no snapshot/m);
    expect(r.stdout).not.toContain("all good");
  });

  it("config validate: a [stack:NAME] for a stack not in a readable stacks dir is a warning", () => {
    const stacks = join(dir, "stacks");
    mkdirSync(join(stacks, "web"), { recursive: true });
    writeFileSync(join(stacks, "web", "compose.yaml"), "services: {}\n");
    const file = config(
      "stacks.ini",
      `[docker]\nDOCKER_STACKS_DIR=${stacks}\n[stack:web]\nSTOP_STRATEGY=none\n[stack:wbe]\nSTOP_STRATEGY=none\n`,
    );
    const r = run(["--config", file, "config", "validate"], { DOCKER_HOST: "unix:///nonexistent.sock" });
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain("[stack:wbe]: no stack named wbe");
    expect(r.stderr).not.toContain("[stack:web]:");
  });
});

describe("the documented retention defaults, where a user meets them", () => {
  it("forget --dry-run on a config that sets no KEEP_*: the defaults (daily 7, ...) keep the snapshot; exit 0, not 78 'keeps no snapshot'", () => {
    const repo = join(dir, "repo");
    writeFileSync(join(dir, "pw"), "e2e-repo-password\n", { mode: 0o600 });
    const renv = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: join(dir, "pw") };
    execFileSync("restic", ["init", "-q"], { env: renv });
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "f.txt"), "x\n");
    execFileSync("restic", ["backup", "-q", "--tag", "backup-tui,stack:web,kind:stack", join(dir, "data")], {
      env: renv,
    });
    const file = config("defaults.ini", "");
    const r = run(["--config", file, "forget", "--dry-run"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^web\s+1\s+0$/m);
  });
});

describe("config set-confirm-password", () => {
  const pw = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, `${text}\n`, { mode: 0o600 });
    return f;
  };

  it("replacing a hash needs the current password: none or a wrong one changes nothing (exit 2), the right one replaces it", () => {
    const file = config("gate.ini", "");
    const first = pw("first", "First-Pass-1234");
    const second = pw("second", "Second-Pass-5678");
    const wrong = pw("wrong", "Wrong-Pass-0000");
    expect(run(["--config", file, "config", "set-confirm-password", "--password-file", first]).code).toBe(0);
    const hash = hashOf(file);
    expect(hash).toMatch(/^scrypt\$/);

    const none = run(["--config", file, "config", "set-confirm-password", "--password-file", second]);
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toContain("confirmation password is required");
    const bad = run([
      "--config",
      file,
      "config",
      "set-confirm-password",
      "--password-file",
      second,
      "--confirm-password-file",
      wrong,
    ]);
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toContain("wrong confirmation password; nothing was changed");
    const badEnv = run(["--config", file, "config", "set-confirm-password", "--password-file", second], {
      BACKUP_TUI_CONFIRM_PASSWORD: "Wrong-Pass-0000",
    });
    expect(badEnv.code, show(badEnv)).toBe(2);
    expect(hashOf(file), "the hash changed without the current password").toBe(hash);

    const ok = run([
      "--config",
      file,
      "config",
      "set-confirm-password",
      "--password-file",
      second,
      "--confirm-password-file",
      first,
    ]);
    expect(ok.code, show(ok)).toBe(0);
    expect(hashOf(file)).not.toBe(hash);
    const viaEnv = run(["--config", file, "config", "set-confirm-password", "--password-file", first], {
      BACKUP_TUI_CONFIRM_PASSWORD: "Second-Pass-5678",
    });
    expect(viaEnv.code, show(viaEnv)).toBe(0);
  });

  it("on a terminal, a too-short new password is refused right after the first entry, before it is asked again", async () => {
    const file = config("tty.ini", "");
    const exit = join(dir, "tty.exit");
    tmux(
      "new-session",
      "-d",
      "-s",
      "pw",
      "-x",
      "100",
      "-y",
      "20",
      "sh",
      "-c",
      `env BACKUP_TUI_STATE_DIR=${join(dir, "state")} NO_COLOR=1 ${bin} --config ${file} config set-confirm-password; echo EXIT=$? > ${exit}; sleep 60`,
    );
    const pane = () => tmux("capture-pane", "-p", "-t", "pw");
    const waitFor = async (re: RegExp) => {
      const end = Date.now() + 20_000;
      while (!re.test(pane())) {
        if (Date.now() > end) throw new Error(`never showed ${re}:\n${pane()}`);
        await sleep(50);
      }
    };
    await waitFor(/new confirmation password:/);
    tmux("send-keys", "-t", "pw", "short", "Enter");
    await waitFor(/at least 8 characters/);
    expect(pane()).not.toContain("again:");
    const end = Date.now() + 10_000;
    while (!existsSync(exit) && Date.now() < end) await sleep(50);
    expect(readFileSync(exit, "utf8").trim()).toBe("EXIT=2");
    expect(hashOf(file)).toBeUndefined();
  });

  it("on a terminal with a hash set, the current password is asked first; a wrong one changes nothing (exit 2) and the new one is never asked", async () => {
    const file = config("tty-current.ini", "");
    expect(
      run(["--config", file, "config", "set-confirm-password", "--password-file", pw("cur", "Current-Pass-2468")]).code,
    ).toBe(0);
    const hash = hashOf(file);
    const exit = join(dir, "tty-current.exit");
    tmux(
      "new-session",
      "-d",
      "-s",
      "cur",
      "-x",
      "100",
      "-y",
      "20",
      "sh",
      "-c",
      `env BACKUP_TUI_STATE_DIR=${join(dir, "state")} NO_COLOR=1 ${bin} --config ${file} config set-confirm-password; echo EXIT=$? > ${exit}; sleep 60`,
    );
    const pane = () => tmux("capture-pane", "-p", "-t", "cur");
    const end = Date.now() + 20_000;
    while (!/confirmation password:/.test(pane())) {
      if (Date.now() > end) throw new Error(`no prompt:\n${pane()}`);
      await sleep(50);
    }
    expect(pane()).not.toContain("new confirmation password");
    tmux("send-keys", "-t", "cur", "Not-The-Current-1", "Enter");
    const done = Date.now() + 20_000;
    while (!existsSync(exit) && Date.now() < done) await sleep(50);
    expect(readFileSync(exit, "utf8").trim()).toBe("EXIT=2");
    expect(pane()).toContain("wrong confirmation password; nothing was changed");
    expect(pane()).not.toContain("new confirmation password");
    expect(pane()).not.toContain("Not-The-Current-1");
    expect(hashOf(file)).toBe(hash);
  });
});
