import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECTIONS, type KeyDef } from "../../../src/config/keys";
import { envName, loadConfig } from "../../../src/config/load";
import { AppError, type ConfigError, UsageError } from "../../../src/errors";
import { redact } from "../../../src/exec/redact";
import { renderIni } from "../../../src/commands/config-show";

const REPO = "[local_backup]\nRESTIC_REPOSITORY=/mnt/repo\nRESTIC_PASSWORD_FILE=/etc/pw\n";
const HASH = "[security]\nCONFIRM_PASSWORD_HASH=scrypt$16384$8$1$c2FsdA$aGFzaA\n";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "config-dg-"));
  mkdirSync(join(root, "etc"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const file = () => join(root, "etc", "config.ini");
function load(text: string, env: NodeJS.ProcessEnv = {}) {
  writeFileSync(file(), text);
  chmodSync(file(), 0o600);
  return loadConfig({
    flag: file(),
    env: { BACKUP_TUI_STATE_DIR: join(root, "state"), ...env },
    exeDir: root,
    cwd: root,
    home: root,
    uid: 1000,
  });
}
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error("expected an error");
}

const all = Object.entries(SECTIONS).flatMap(([s, keys]) =>
  Object.entries(keys as Record<string, KeyDef>).map(([k, d]) => ({ section: s, key: k, def: d })),
);
const guarded = all.filter((k) => k.def.guarded);
/** A valid value of each guarded key, different from its default. */
const VALUE: Record<string, string> = {
  HOSTNAME: "other-host",
  PRUNE_HOST: "other-host",
  KEEP_LAST: "1",
  KEEP_HOURLY: "1",
  KEEP_DAILY: "0",
  KEEP_WEEKLY: "0",
  KEEP_MONTHLY: "0",
  KEEP_YEARLY: "0",
  KEEP_WITHIN: "1d",
  AUTO_PRUNE: "true",
  MAX_REPO_SIZE: "1K",
  MIN_FREE_PERCENT: "99",
  LOW_SPACE_ACTION: "prune",
  NOTIFY_BEFORE_DELETE: "1s",
  KEEP_DELETED_DAYS: "0",
  MAX_DELETE_PERCENT: "100",
  MODE: "append",
};

describe("config defaults: every documented default is applied from keys.ts", () => {
  it("Given no KEEP_* at all, When loaded, Then the documented keep policy applies (daily 7, weekly 4, monthly 12, yearly 3)", () => {
    expect(load(REPO).retention.keep).toEqual({ daily: 7, weekly: 4, monthly: 12, yearly: 3 });
  });

  it("Given KEEP_LAST only, When loaded, Then the other documented defaults still apply; KEEP_DAILY=0 switches one off", () => {
    expect(load(`${REPO}KEEP_LAST=5\nKEEP_DAILY=0\n`).retention.keep).toEqual({
      last: 5,
      daily: 0,
      weekly: 4,
      monthly: 12,
      yearly: 3,
    });
  });

  it("Given a stack overriding KEEP_DAILY, When loaded, Then its other keys are the global ones", () => {
    expect(load(`${REPO}KEEP_WEEKLY=9\n[stack:web]\nKEEP_DAILY=30\n`).stacks.web.keep).toEqual({
      daily: 30,
      weekly: 9,
      monthly: 12,
      yearly: 3,
    });
  });

  it.each(all.filter((k) => k.def.default !== undefined))(
    "Given [$section] $key unset, When loaded, Then `config show` gives its documented default",
    ({ section, key, def }) => {
      const c = load(REPO);
      expect(c.keys?.[section]?.[key]).toEqual({ value: def.default, origin: "default" });
    },
  );

  it("Given the defaults, When loaded, Then the typed config holds them too (no second copy in load.ts)", () => {
    const c = load(REPO);
    expect(c.docker).toMatchObject({
      timeoutSec: 300,
      stopTimeoutSec: 30,
      strategy: "stop",
      twoPass: true,
      backupBindMounts: false,
      snapshotFreeze: "pause",
      snapshotMinFree: "1G",
    });
    expect(c.cloud).toMatchObject({
      binary: "rclone",
      transfers: 4,
      retries: 3,
      syncTimeoutSec: 3600,
      keepDeletedDays: 7,
      maxDeletePercent: 50,
    });
    expect(c.verification).toEqual({ enabled: false, depth: "metadata", subset: "5%" });
    expect(c.space.lowSpaceAction).toBe("skip");
    expect(c.notify.on).toEqual(["failure"]);
    expect(c.doomsday).toMatchObject({ saveImages: "off", daemonConfig: "/etc/docker/daemon.json" });
  });
});

describe("config guard: with a confirmation hash, keys that decide deletions come from the file only", () => {
  it("Given the guarded keys, Then they are the retention, space, host and sync-deletion keys", () => {
    expect(guarded.map((k) => k.key).sort()).toEqual(Object.keys(VALUE).sort());
  });

  it.each(guarded)(
    "Given a hash in the file, When $key comes from the environment, Then loading refuses with exit 2 naming the variable",
    ({ section, key }) => {
      const name = envName(section, key);
      const err = thrown(() => load(`${REPO}${HASH}`, { [name]: VALUE[key] }));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(name);
      expect(err.message).toContain("read from the config file only");
      expect(err.hint).toContain(`Edit ${file()}`);
    },
  );

  it.each(guarded)(
    "Given no hash, When $key comes from the environment, Then it applies as before",
    ({ section, key }) => {
      const c = load(REPO, { [envName(section, key)]: VALUE[key] });
      expect(c.keys?.[section]?.[key]).toMatchObject({
        value: VALUE[key],
        origin: `environment ${envName(section, key)}`,
      });
    },
  );

  it("Given a hash, When several guarded keys come from the environment, Then all are named at once", () => {
    const err = thrown(() =>
      load(`${REPO}${HASH}`, {
        BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT: "99",
        BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION: "prune",
      }),
    );
    expect(err.message).toContain("BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT, BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION");
  });

  it("Given a hash, When an unguarded key comes from the environment, Then it still applies", () => {
    expect(load(`${REPO}${HASH}`, { BACKUP_TUI_DOCKER_STOP_TIMEOUT: "12" }).docker.stopTimeoutSec).toBe(12);
  });

  it("Given a hash, When a guarded key is set empty in the environment, Then it is no override", () => {
    expect(load(`${REPO}${HASH}`, { BACKUP_TUI_LOCAL_BACKUP_KEEP_DAILY: "" }).retention.keep.daily).toBe(7);
  });

  it("Given a legacy flat file with a hash, When a guarded key comes from the environment, Then it is refused too", () => {
    const err = thrown(() =>
      load("RESTIC_REPOSITORY=/r\nRESTIC_PASSWORD_FILE=/p\nCONFIRM_PASSWORD_HASH=scrypt$x\n", {
        BACKUP_TUI_LOCAL_BACKUP_HOSTNAME: "h2",
      }),
    );
    expect(err.exitCode).toBe(2);
  });
});

describe("config messages", () => {
  const numeric = all.filter(
    (k) =>
      k.def.schema.safeParse("10").success &&
      !k.def.schema.safeParse("10s").success &&
      !k.def.schema.safeParse("10G").success &&
      !k.def.cron,
  );
  it("Given the numeric keys, Then there are several (seconds, counts, percentages)", () => {
    expect(numeric.map((k) => k.key)).toEqual(
      expect.arrayContaining([
        "STOP_TIMEOUT",
        "DOCKER_TIMEOUT",
        "KEEP_DAILY",
        "TRANSFERS",
        "MIN_FREE_PERCENT",
        "KEEP_DELETED_DAYS",
      ]),
    );
  });

  it.each(numeric)(
    "Given [$section] $key=10s, When loaded, Then the message says what number is wanted, no zod text",
    ({ section, key }) => {
      const err = thrown(() => load(`${REPO}[${section}]\n${key}=10s\n`)) as ConfigError;
      expect(err.message).toMatch(
        new RegExp(
          `\\[${section}\\] ${key}: must be a (number of \\w+|whole number|percentage|whole percentage) \\(\\d+ to \\d+\\), e\\.g\\. \\d+`,
        ),
      );
      expect(err.message).not.toMatch(/Invalid|NaN|expected number/);
    },
  );

  it("Given STOP_TIMEOUT=10s, Then the message is the one a user can act on", () => {
    expect(thrown(() => load(`${REPO}[docker]\nSTOP_TIMEOUT=10s\n`)).message).toBe(
      `${file()}:5: [docker] STOP_TIMEOUT: must be a number of seconds (1 to 604800), e.g. 10 (got "10s")`,
    );
  });

  it("Given a bad size, Then the message says what a size looks like", () => {
    expect(thrown(() => load(`${REPO}MAX_REPO_SIZE=lots\n`)).message).toContain(
      'MAX_REPO_SIZE: must be a size such as 500G or 2T (got "lots")',
    );
  });

  it("Given a bad enum and a bad boolean, Then the choices are listed in words", () => {
    const m = thrown(() => load(`${REPO}[docker]\nSTOP_STRATEGY=explode\nTWO_PASS=maybe\n`)).message;
    expect(m).toContain("STOP_STRATEGY: must be one of stop, down, pause, none, snapshot");
    expect(m).toContain("TWO_PASS: must be true or false");
  });

  it("Given errors from different passes (values, cron), Then they are listed in line order", () => {
    const m = thrown(() =>
      load(`${REPO}[docker]\nSTOP_TIMEOUT=x\nDOCKER_TIMEOUT=x\n[schedule]\nBACKUP=not cron\n`),
    ).message;
    // line 5 STOP_TIMEOUT (docker), 6 DOCKER_TIMEOUT, 8 BACKUP: validated in key-table order (DOCKER_TIMEOUT first).
    const at = [":5:", ":6:", ":8:"].map((l) => m.indexOf(l));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("Given a cron error and a misspelt key, Then the error reports both (a cron error hides nothing)", () => {
    const m = thrown(() => load(`${REPO}KEEP_DAILYY=3\n[schedule]\nBACKUP=61 3 * * *\n`)).message;
    expect(m).toContain("BACKUP: not a valid cron expression");
    expect(m).toContain("unknown key KEEP_DAILYY");
    expect(m).toContain("did you mean KEEP_DAILY?");
  });

  it("Given unreadable lines and a bad value, Then all are reported at once, in order", () => {
    const m = thrown(() => load(`${REPO}not ini\n[docker]\nSTOP_TIMEOUT=x\nalso not ini\n`)).message;
    expect(m).toMatch(/:4: cannot read this line[\s\S]*:6: \[docker\] STOP_TIMEOUT[\s\S]*:7: cannot read this line/);
  });

  it.each([
    ["cloud-sync", "cloud_sync"],
    ["Cloud_Sync", "cloud_sync"],
    ["notfy", "notify"],
    ["stack-web", "stack:web"],
  ])("Given [%s], When loaded, Then the warning names file:line and suggests [%s]", (written, meant) => {
    const c = load(`${REPO}[${written}]\nX=1\n`);
    expect(c.warnings).toEqual([expect.stringContaining(`${file()}:4: unknown section [${written}]`)]);
    expect(c.warnings[0]).toContain(`did you mean [${meant}]?`);
  });

  it("Given [local-backup] holding RESTIC_REPOSITORY, Then the error names its line and the section it belongs in", () => {
    const m = thrown(() =>
      load("[docker]\nSTOP_TIMEOUT=5\n[local-backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD_FILE=/p\n"),
    ).message;
    expect(m).toContain(`${file()}:4: [local-backup] RESTIC_REPOSITORY is ignored`);
    expect(m).toContain("belongs in [local_backup]");
    expect(m).toContain(`${file()}:3: unknown section [local-backup]`);
    expect(m).toContain("did you mean [local_backup]?");
  });

  it.each([
    ["[docker]\nKEEP_DAILY=3", "KEEP_DAILY in [docker]", "it belongs in [local_backup] or a [stack:NAME] section"],
    ["[local_backup]\nSTOP_TIMEOUT=3", "STOP_TIMEOUT in [local_backup]", "it belongs in [docker]"],
    ["[docker]\nPRE_HOOK=true", "PRE_HOOK in [docker]", "it belongs in a [stack:NAME] section"],
    ["[stack:web]\nSTOP_TIMEOUT=3", "STOP_TIMEOUT in [stack:web]", "it belongs in [docker]"],
  ])("Given a key in the wrong section (%s), Then the warning says where it belongs", (lines, what, where) => {
    const c = load(`${REPO}${lines}\n`);
    expect(c.warnings).toEqual([expect.stringContaining(`unknown key ${what} (ignored): ${where}`)]);
  });
});

describe("config show by INI keys", () => {
  it("Given a config, When rendered, Then sections hold INI keys with defaults and environment said; TWO_PASS survives redaction, a password does not", () => {
    const c = load(`${REPO}RESTIC_PASSWORD_FILE=\nRESTIC_PASSWORD=hunter2-Pw\n[docker]\nSTOP_TIMEOUT=12\n`, {
      BACKUP_TUI_DOCKER_DOCKER_TIMEOUT: "60",
    });
    const text = redact(renderIni("f", c.keys ?? {}));
    expect(text).toMatch(
      /^\[docker\]\nDOCKER_TIMEOUT=60 +; from the environment BACKUP_TUI_DOCKER_DOCKER_TIMEOUT\nSTOP_TIMEOUT=12\n/m,
    );
    expect(text).toMatch(/^TWO_PASS=true +; default$/m);
    expect(text).toMatch(/^RESTIC_PASSWORD=\*\*\*$/m);
    expect(text).not.toContain("hunter2-Pw");
    expect(text).not.toMatch(/stopTimeoutSec|timeoutSec/);
  });
});
