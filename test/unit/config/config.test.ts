import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type LoadInput } from "../../../src/config/load";
import { defaultStateDir, locateConfig, locateDirlist } from "../../../src/config/locate";
import { ConfigError } from "../../../src/errors";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "config");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const SECRET = "hunter2-Very-Secret";
const REPO_AND_FILE = "[local_backup]\nRESTIC_REPOSITORY=/mnt/repo\nRESTIC_PASSWORD_FILE=/etc/pw\n";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "config-"));
  for (const d of ["bin", "work", "home", "etc"]) mkdirSync(join(root, d));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes a file under the temp root (0600 unless told), creating folders. */
function put(rel: string, text: string | Buffer, mode = 0o600): string {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

/** Inputs isolated from this machine: exe in root/bin, cwd root/work, home root/home, state root/state. */
function input(over: Partial<LoadInput> = {}, env: NodeJS.ProcessEnv = {}): LoadInput {
  return {
    env: { BACKUP_TUI_STATE_DIR: join(root, "state"), ...env },
    exeDir: join(root, "bin"),
    cwd: join(root, "work"),
    home: join(root, "home"),
    uid: 1000,
    ...over,
  };
}

function load(text: string, env: NodeJS.ProcessEnv = {}, mode = 0o600) {
  return loadConfig(input({ flag: put("etc/config.ini", text, mode) }, env));
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(78);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const loadError = (text: string, env: NodeJS.ProcessEnv = {}, mode = 0o600) => configError(() => load(text, env, mode));

describe("loadConfig: formats", () => {
  it("Given a complete sectioned config, When loaded, Then every section is typed and normalised", () => {
    const c = load(fixture("sectioned.ini"));
    expect(c.source.format).toBe("sectioned");
    expect(c.warnings).toEqual([]);
    expect(c.docker).toEqual({
      stacksDir: "/opt/stacks",
      timeoutSec: 120,
      stopTimeoutSec: 20,
      strategy: "down",
      twoPass: false,
      composeCommand: "docker compose",
      backupBindMounts: false,
      snapshotFreeze: "pause",
      snapshotMinFree: "1G",
    });
    expect(c.hostname).toBe("prod-server-01");
    expect(c.restic).toMatchObject({
      repository: "/mnt/backup/restic-repo",
      backupTimeoutSec: 7200,
      compression: "max",
      autoInit: false,
    });
    expect(c.restic.password).toEqual({
      kind: "file",
      path: "/etc/backup-tui/restic-password",
      origin: `${join(root, "etc/config.ini")}:12`,
    });
    expect(c.retention).toEqual({
      keep: { last: 3, daily: 14, weekly: 8, monthly: 12, yearly: 5, within: "14d" },
      autoPrune: true,
    });
    expect(c.verification).toEqual({ enabled: true, depth: "subset", subset: "5%" });
    expect(c.space.lowSpaceAction).toBe("prune");
    expect(c.cloud).toMatchObject({
      remote: "b2-backup",
      path: "backups/host1/restic",
      binary: "rclone",
      transfers: 8,
      retries: 5,
      bandwidth: "10M",
      syncTimeoutSec: 1800,
    });
    expect(c.schedule).toMatchObject({ backup: "0 3 * * *", sync: "30 4 * * *" });
    expect(c.notify.on).toEqual(["failure", "partial"]);
  });

  it("Given a [stack:my.app] section, When loaded, Then the stack keeps its dotted name and its settings", () => {
    const c = load(fixture("sectioned.ini"));
    expect(Object.keys(c.stacks)).toEqual(["my.app"]);
    expect(c.stacks["my.app"]).toEqual({
      strategy: "pause",
      twoPass: undefined,
      schedule: undefined,
      // daily overridden; the other keys stay the global ones (the fixture's [local_backup]).
      keep: { last: 3, daily: 30, weekly: 8, monthly: 12, yearly: 5, within: "14d" },
      exclude: ["*.log", "cache/**"],
      extraPaths: ["/srv/shared/uploads"],
      preHook: "docker exec my.app-db pg_dump -U app app > /srv/dumps/app.sql",
      postHook: undefined,
      hookTimeoutSec: 600,
      dumps: [],
    });
  });

  it("Given the seed's legacy flat format, When loaded, Then keys land in their sections", () => {
    const c = load(fixture("legacy-flat.ini"));
    expect(c.source.format).toBe("legacy");
    expect(c.warnings).toEqual([]);
    expect(c.docker.stacksDir).toBe("/opt/docker-stacks");
    expect(c.docker.timeoutSec).toBe(60);
    expect(c.restic.repository).toBe("/mnt/backup/restic-repo");
    expect(c.restic.password).toMatchObject({ kind: "file", path: "/etc/backup/restic-password" });
    expect(c.retention.keep).toEqual({ daily: 3, weekly: 2, monthly: 12, yearly: 3 });
    expect(c.retention.autoPrune).toBe(true);
    expect(c.cloud).toMatchObject({ remote: "backblaze", path: "/backup/restic", transfers: 4, bandwidth: "0" });
  });

  it("Given the seed's documented sample with inline # comments and BANDWIDTH_LIMIT=50M, When loaded, Then comments are not part of values", () => {
    const c = load(fixture("seed-sample.ini"));
    expect(c.docker.timeoutSec).toBe(600);
    expect(c.restic.backupTimeoutSec).toBe(14400);
    expect(c.cloud.bandwidth).toBe("50M");
    expect(c.restic.password.kind === "value" && c.restic.password.value.reveal()).toBe("dev-password-123");
    expect(c.warnings).toEqual([]);
  });

  it("Given relative paths in the config, When loaded, Then they are resolved against the config's folder", () => {
    const c = load(
      "[docker]\nDOCKER_STACKS_DIR=stacks\n[local_backup]\nRESTIC_REPOSITORY=../repo\nRESTIC_PASSWORD_FILE=pw\n",
    );
    expect(c.docker.stacksDir).toBe(join(root, "etc", "stacks"));
    expect(c.restic.repository).toBe(join(root, "repo"));
    expect(c.restic.password).toMatchObject({ kind: "file", path: join(root, "etc", "pw") });
  });

  it("Given a restic URL repository, When loaded, Then it is kept as written", () => {
    const c = load("[local_backup]\nRESTIC_REPOSITORY=s3:https://s3.example.com/bucket\nRESTIC_PASSWORD_FILE=/pw\n");
    expect(c.restic.repository).toBe("s3:https://s3.example.com/bucket");
  });
});

describe("loadConfig: broken configs name file:line, key and expectation", () => {
  const file = () => join(root, "etc/config.ini");

  it("Given [stack:NAME] DUMP, Then good items become declarations and a bad one names file:line, the item and the form", () => {
    const ok = load(
      `${REPO_AND_FILE}[stack:shop]\nDUMP=db:postgres:user=app:database=shop, cache:sqlite:path=/data/c.db\n`,
    );
    expect(ok.stacks.shop.dumps).toEqual([
      { service: "db", engine: "postgres", user: "app", database: "shop" },
      { service: "cache", engine: "sqlite", path: "/data/c.db" },
    ]);
    for (const [value, says] of [
      ["db:oracle", "needs an engine"],
      ["cache:sqlite", "needs path="],
      ["db:postgres:port=5", 'unknown option "port=5"'],
      ["db:postgres,db:mariadb", "same service twice"],
      [":postgres", "needs a service name"],
    ]) {
      const err = loadError(`${REPO_AND_FILE}[stack:shop]\nDUMP=${value}\n`);
      expect(err.message).toContain(`${file()}:5: [stack:shop] DUMP`);
      expect(err.message).toContain(says);
      expect(err.message).toContain("SERVICE:ENGINE");
    }
  });

  it("Given DOCKER_TIMEOUT=abc, When loaded, Then the error names file:line, section, key and the bad value", () => {
    const err = loadError(`${REPO_AND_FILE}[docker]\nDOCKER_TIMEOUT=abc\n`);
    expect(err.message).toContain(`${file()}:5: [docker] DOCKER_TIMEOUT`);
    expect(err.message).toContain('(got "abc")');
  });

  it("Given STOP_STRATEGY=explode, When loaded, Then the error lists the allowed values", () => {
    const err = loadError(`${REPO_AND_FILE}[docker]\nSTOP_STRATEGY=explode\n`);
    expect(err.message).toContain(`${file()}:5: [docker] STOP_STRATEGY`);
    expect(err.message).toMatch(/stop.*down.*pause.*none/);
  });

  it("Given several bad values, When loaded, Then all of them are reported at once", () => {
    const err = loadError(
      `${REPO_AND_FILE}KEEP_DAILY=-1\nKEEP_WEEKLY=1.5\nHOSTNAME=bad host!\n[docker]\nDOCKER_TIMEOUT=0\n`,
    );
    expect(err.message).toContain("4 problems");
    for (const key of ["KEEP_DAILY", "KEEP_WEEKLY", "HOSTNAME", "DOCKER_TIMEOUT"]) expect(err.message).toContain(key);
    expect(err.hint).toContain("config validate");
  });

  it("Given a misspelt key, When loaded, Then it is a warning with a 'did you mean'", () => {
    const c = load(`${REPO_AND_FILE}KEEP_DAILYY=3\n`);
    expect(c.warnings).toEqual([
      `${file()}:4: unknown key KEEP_DAILYY in [local_backup] (ignored); did you mean KEEP_DAILY?`,
    ]);
  });

  it("Given a misspelt key in a legacy flat file, When loaded, Then the warning also suggests the right key", () => {
    const c = load("RESTIC_REPOSITORY=/r\nRESTIC_PASSWORD_FILE=/p\nKEEP_DAYLY=2\n");
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain(`${file()}:3: unknown key KEEP_DAYLY`);
    expect(c.warnings[0]).toContain("did you mean KEEP_DAILY?");
  });

  it("Given an unknown section, When loaded, Then it is a warning, not an error", () => {
    expect(load(`${REPO_AND_FILE}[dockr]\nX=1\n`).warnings[0]).toContain("unknown section [dockr]");
  });

  it("Given a config file without RESTIC_REPOSITORY, When loaded, Then the error says it is required", () => {
    const err = loadError("[local_backup]\nRESTIC_PASSWORD_FILE=/p\n");
    expect(err.message).toContain(file());
    expect(err.message).toContain("RESTIC_REPOSITORY is required");
  });

  it("Given two password keys, When loaded, Then the error names the file, the line and both keys, without the password", () => {
    const err = loadError(`[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD=${SECRET}\nRESTIC_PASSWORD_FILE=/p\n`);
    expect(err.message).toContain(`${file()}:4`);
    expect(err.message).toContain("RESTIC_PASSWORD, RESTIC_PASSWORD_FILE");
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
  });

  it("Given a password with an unquoted '#', When loaded, Then it is refused (INI would cut it) with a quoting hint and no secret shown", () => {
    const err = loadError("[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD=abc#def\n");
    expect(err.message).toContain(`${file()}:3: RESTIC_PASSWORD`);
    expect(err.hint).toContain('RESTIC_PASSWORD="..."');
    expect(`${err.message} ${err.hint}`).not.toContain("abc#def");
  });

  it.each([
    ['"abc#d;ef"', "abc#d;ef"],
    ["'abc#def'", "abc#def"],
    ['"with spaces # and hash"', "with spaces # and hash"],
  ])("Given a quoted password %s, When loaded, Then the value is intact", (written, expected) => {
    const c = load(`[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD=${written}\n`);
    expect(c.restic.password.kind === "value" && c.restic.password.value.reveal()).toBe(expected);
  });

  it("Given '#' or ';' inside a plain value, Then it is kept; after white space it starts a comment", () => {
    const c = load(
      "[local_backup]\nRESTIC_REPOSITORY=/srv/repo#2;b   # the second repo\nRESTIC_PASSWORD_FILE=/etc/pw\n[docker]\nDOCKER_STACKS_DIR=/srv/stacks ; beside it\n[schedule]\nBACKUP=0 3 * * *\t# daily\n",
    );
    expect(c.restic.repository).toBe("/srv/repo#2;b");
    expect(c.docker.stacksDir).toBe("/srv/stacks");
    expect(c.schedule.backup).toBe("0 3 * * *");
  });

  it("Given [stack:a;b], When loaded, Then it is refused naming the line, not applied to stack a", () => {
    const err = loadError(`${REPO_AND_FILE}[stack:a;b]\nSTOP_STRATEGY=none\n`);
    expect(err.message).toContain("[stack:a;b]: a section name cannot contain ';' or '#'");
    expect(err.message).toContain(":4:");
  });

  it("Given a RESTIC_PASSWORD_COMMAND with an unquoted '#', When loaded, Then it is refused rather than silently cut", () => {
    expect(
      loadError("[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD_COMMAND=pass show restic # from pass\n").message,
    ).toContain("RESTIC_PASSWORD_COMMAND");
  });

  it("Given a file that is not UTF-8, When loaded, Then the error says so", () => {
    const err = configError(() =>
      loadConfig(
        input({ flag: put("etc/config.ini", Buffer.from("[docker]\nDOCKER_STACKS_DIR=/opt/caf\xe9\n", "latin1")) }),
      ),
    );
    expect(err.message).toContain("not valid UTF-8");
    expect(err.hint).toContain("UTF-8");
  });

  it("Given NUL bytes, When loaded, Then it is refused", () => {
    expect(
      configError(() => loadConfig(input({ flag: put("etc/config.ini", Buffer.from("[docker]\0\n")) }))).message,
    ).toContain("NUL");
  });

  it("Given a line that is not INI, When loaded, Then the error names file:line and shows the line", () => {
    const err = loadError(`${REPO_AND_FILE}this is not ini\n`);
    expect(err.message).toBe(`${file()}:4: cannot read this line: "this is not ini"`);
  });

  it("Given a password line missing its '=', When loaded, Then the error names file:line but never shows the password", () => {
    const err = loadError(`[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD ${SECRET}\n`);
    expect(err.message).toContain(`${file()}:3`);
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
  });

  it("Given an unreadable line holding URL credentials, When loaded, Then they are not shown", () => {
    const err = loadError(`${REPO_AND_FILE}repo rest:https://user:${SECRET}@host/\n`);
    expect(err.message).toContain(`${file()}:4: cannot read this line`);
    expect(err.message).not.toContain(SECRET);
  });

  it("Given an over-long secret, When validation fails, Then the message names the key but not the value", () => {
    const long = `${SECRET}${"x".repeat(5000)}`;
    const err = loadError(`[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD=${long}\n`);
    expect(err.message).toContain(`${file()}:3: [local_backup] RESTIC_PASSWORD`);
    expect(err.message).not.toContain(SECRET);
  });

  it("Given a bad stack section name, When loaded, Then the error says what a stack name is", () => {
    expect(loadError(`${REPO_AND_FILE}[stack:../etc]\nSTOP_STRATEGY=stop\n`).message).toContain("a stack name is");
  });

  it("Given RCLONE_REMOTE without RCLONE_PATH, When loaded, Then the error asks for the path", () => {
    expect(loadError(`${REPO_AND_FILE}[cloud_sync]\nRCLONE_REMOTE=b2\n`).message).toContain("RCLONE_PATH is required");
  });
});

describe("loadConfig: permissions of a config holding secrets", () => {
  const withPassword = `[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD=${SECRET}\n`;

  it("Given RESTIC_PASSWORD in a 0644 file, When loaded, Then it is refused with a chmod 600 hint and no secret", () => {
    const err = loadError(withPassword, {}, 0o644);
    expect(err.message).toContain("[local_backup] RESTIC_PASSWORD");
    expect(err.message).toContain("0644");
    expect(err.hint).toBe(`Run: chmod 600 ${join(root, "etc/config.ini")}`);
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
  });

  it("Given the same file at 0600, When loaded, Then it is accepted", () => {
    const c = load(withPassword, {}, 0o600);
    expect(c.restic.password.kind === "value" && c.restic.password.value.reveal()).toBe(SECRET);
  });

  it("Given a group-readable file (0640), When loaded, Then it is refused too", () => {
    expect(loadError(withPassword, {}, 0o640).hint).toContain("chmod 600");
  });

  it("Given credentials inside a repository URL in a 0644 file, When loaded, Then it is refused without showing them", () => {
    const err = loadError(
      `[local_backup]\nRESTIC_REPOSITORY=rest:https://user:${SECRET}@host/repo\nRESTIC_PASSWORD_FILE=/p\n`,
      {},
      0o644,
    );
    expect(err.hint).toContain("chmod 600");
    expect(err.message).not.toContain(SECRET);
  });

  it("Given no secrets, When the file is 0644, Then it is accepted", () => {
    expect(load(REPO_AND_FILE, {}, 0o644).restic.repository).toBe("/mnt/repo");
  });
});

describe("loadConfig: blank values and overriding password sources", () => {
  it("Given a seed-style template with unused keys left blank, When loaded, Then blank keys count as unset", () => {
    const c = load(
      "[local_backup]\nRESTIC_REPOSITORY=/mnt/repo\nRESTIC_PASSWORD=\nRESTIC_PASSWORD_FILE=/etc/pw\nRESTIC_PASSWORD_COMMAND=\nHOSTNAME=\n[docker]\nDOCKER_TIMEOUT=\n",
    );
    expect(c.restic.password).toMatchObject({ kind: "file", path: "/etc/pw" });
    expect(c.docker.timeoutSec).toBe(300);
  });

  it("Given RESTIC_PASSWORD_FILE in the file, When BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_COMMAND is set, Then the environment's source replaces it", () => {
    const c = load(REPO_AND_FILE, { BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_COMMAND: "pass show restic" });
    expect(c.restic.password).toMatchObject({ kind: "command", command: "pass show restic" });
  });
});

describe("loadConfig: environment", () => {
  it("Given BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY, When loaded, Then it wins over the file", () => {
    const c = load(REPO_AND_FILE, { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: "/from/env" });
    expect(c.restic.repository).toBe("/from/env");
  });

  it("Given a bad value in an env override, When loaded, Then the error names the variable", () => {
    expect(loadError(REPO_AND_FILE, { BACKUP_TUI_DOCKER_DOCKER_TIMEOUT: "soon" }).message).toContain(
      "environment BACKUP_TUI_DOCKER_DOCKER_TIMEOUT",
    );
  });

  it("Given a plain HOSTNAME in the environment, When loaded, Then it is ignored (shells export their own)", () => {
    expect(load(`${REPO_AND_FILE}HOSTNAME=from-file\n`, { HOSTNAME: "from-shell" }).hostname).toBe("from-file");
  });

  it("Given a config naming no password source and RESTIC_PASSWORD inherited, When loaded, Then the inherited one is used with a warning", () => {
    const c = load("[local_backup]\nRESTIC_REPOSITORY=/r\n", { RESTIC_PASSWORD: SECRET });
    expect(c.restic.password).toMatchObject({ kind: "value", origin: "environment RESTIC_PASSWORD" });
    expect(c.restic.password.kind === "value" && c.restic.password.value.reveal()).toBe(SECRET);
    expect(c.warnings).toEqual(["no password source in the config: using RESTIC_PASSWORD from the environment"]);
    expect(c.warnings.join(" ")).not.toContain(SECRET);
  });

  it("Given a config naming a password file and RESTIC_PASSWORD inherited, When loaded, Then the config's source wins silently", () => {
    const c = load(REPO_AND_FILE, { RESTIC_PASSWORD: SECRET, RESTIC_PASSWORD_FILE: "/other" });
    expect(c.restic.password).toMatchObject({ kind: "file", path: "/etc/pw" });
    expect(c.warnings).toEqual([]);
  });

  it("Given no config password and an inherited RESTIC_PASSWORD_FILE, When loaded, Then the file is used with a warning", () => {
    const c = load("[local_backup]\nRESTIC_REPOSITORY=/r\n", {
      RESTIC_PASSWORD_FILE: "/run/secrets/pw",
      RESTIC_PASSWORD: SECRET,
    });
    expect(c.restic.password).toMatchObject({ kind: "file", path: "/run/secrets/pw" });
    expect(c.warnings[0]).toContain("RESTIC_PASSWORD_FILE from the environment");
  });

  it("Given no password anywhere, When loaded, Then the password source is none", () => {
    expect(load("[local_backup]\nRESTIC_REPOSITORY=/r\n").restic.password).toEqual({ kind: "none" });
  });
});

describe("loadConfig: the embedded default", () => {
  it("Given no config file anywhere, When loaded, Then a local repository and password file under the state dir serve, created on first use", () => {
    const c = loadConfig(input());
    const state = join(root, "state");
    expect(c.source).toEqual({ file: undefined, format: "embedded" });
    expect(c.stateDir).toBe(state);
    expect(c.restic.repository).toBe(join(state, "repository"));
    expect(c.restic.autoInit).toBe(true);
    expect(c.restic.password).toEqual({ kind: "file", path: join(state, "password"), origin: "embedded default" });
    expect(c.dirlistFile).toBe(join(state, "dirlist"));
    expect(c.docker.strategy).toBe("stop");
  });

  it("Given no config file but a repository from the environment, When loaded, Then it is used and not auto-initialised", () => {
    const c = loadConfig(input({}, { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: "/mnt/env-repo" }));
    expect(c.restic.repository).toBe("/mnt/env-repo");
    expect(c.restic.autoInit).toBe(false);
  });
});

describe("locateConfig: lookup order", () => {
  it.skipIf(existsSync("/etc/backup-tui/config.ini"))(
    "Given a config in every place, When located, Then flag > BACKUP_TUI_CONFIG > BACKUP_CONFIG > exe's ../config > ./config > ~/.config",
    () => {
      const flag = put("a/flag.ini", "");
      const tui = put("a/tui.ini", "");
      const legacy = put("a/legacy.ini", "");
      const beside = put("config/config.ini", ""); // root/bin/../config
      const cwd = put("work/config/config.ini", "");
      const home = put("home/.config/backup-tui/config.ini", "");
      const env = { BACKUP_TUI_CONFIG: tui, BACKUP_CONFIG: legacy };
      const base = { exeDir: join(root, "bin"), cwd: join(root, "work"), home: join(root, "home") };
      expect(locateConfig({ ...base, flag, env })).toBe(flag);
      expect(locateConfig({ ...base, env })).toBe(tui);
      expect(locateConfig({ ...base, env: { BACKUP_CONFIG: legacy } })).toBe(legacy);
      expect(locateConfig({ ...base, env: {} })).toBe(beside);
      rmSync(beside);
      expect(locateConfig({ ...base, env: {} })).toBe(cwd);
      rmSync(cwd);
      expect(locateConfig({ ...base, env: {} })).toBe(home);
      rmSync(home);
      expect(locateConfig({ ...base, env: {} })).toBeUndefined();
    },
  );

  it("Given a relative --config, When located, Then it is resolved against the cwd", () => {
    const file = put("work/my.ini", "");
    expect(locateConfig({ flag: "my.ini", env: {}, exeDir: join(root, "bin"), cwd: join(root, "work") })).toBe(file);
  });

  it.each([
    [{ flag: "missing.ini" }, {}, "--config"],
    [{}, { BACKUP_TUI_CONFIG: "/nonexistent/a.ini" }, "BACKUP_TUI_CONFIG"],
    [{}, { BACKUP_CONFIG: "/nonexistent/b.ini" }, "BACKUP_CONFIG"],
  ])(
    "Given an explicit config that does not exist (%j %j), When located, Then it is an error naming where it came from",
    (flag, env, origin) => {
      put("config/config.ini", ""); // a fallback must not be used instead
      const err = configError(() => locateConfig({ ...flag, env, exeDir: join(root, "bin"), cwd: join(root, "work") }));
      expect(err.message).toContain("config file not found");
      expect(err.message).toContain(`from ${origin}`);
    },
  );
});

describe("locateDirlist", () => {
  it("Given DIRLIST_FILE, When located, Then it wins and a relative one is taken from the config's folder", () => {
    expect(locateDirlist(join(root, "config/config.ini"), "/srv/dirlist", "/state")).toBe("/srv/dirlist");
    expect(locateDirlist(join(root, "config/config.ini"), "lists/dirlist", "/state")).toBe(
      join(root, "config/lists/dirlist"),
    );
  });

  it("Given a config in a folder named config and a seed ../dirlist, When located, Then the seed's dirlist is used", () => {
    const seed = put("dirlist", "+web\n");
    expect(locateDirlist(join(root, "config/config.ini"), undefined, "/state")).toBe(seed);
  });

  it("Given a config in a folder named config but no ../dirlist, When located, Then the dirlist is beside the config", () => {
    expect(locateDirlist(join(root, "config/config.ini"), undefined, "/state")).toBe(join(root, "config/dirlist"));
  });

  it("Given a config in another folder, When located, Then the dirlist is beside it even if ../dirlist exists", () => {
    put("dirlist", "+web\n");
    expect(locateDirlist(join(root, "etc/config.ini"), undefined, "/state")).toBe(join(root, "etc/dirlist"));
  });

  it("Given no config file, When located, Then the dirlist lives in the state dir", () => {
    expect(locateDirlist(undefined, undefined, "/var/lib/backup-tui")).toBe("/var/lib/backup-tui/dirlist");
  });

  it("Given a seed layout, When the whole config is loaded, Then dirlistFile follows the same rules", () => {
    const seed = put("dirlist", "+web\n");
    const c = loadConfig(input({ flag: put("config/config.ini", REPO_AND_FILE) }));
    expect(c.dirlistFile).toBe(seed);
  });
});

describe("defaultStateDir", () => {
  it("Given root, When resolved, Then /var/lib/backup-tui", () => {
    expect(defaultStateDir({}, 0, "/root")).toBe("/var/lib/backup-tui");
  });

  it("Given a user with XDG_STATE_HOME, When resolved, Then $XDG_STATE_HOME/backup-tui, else ~/.local/state/backup-tui", () => {
    expect(defaultStateDir({ XDG_STATE_HOME: "/x/state" }, 1000, "/home/u")).toBe("/x/state/backup-tui");
    expect(defaultStateDir({}, 1000, "/home/u")).toBe("/home/u/.local/state/backup-tui");
  });

  it("Given BACKUP_TUI_STATE_DIR, When resolved, Then it overrides, even for root", () => {
    expect(defaultStateDir({ BACKUP_TUI_STATE_DIR: "/custom" }, 0)).toBe("/custom");
  });
});
