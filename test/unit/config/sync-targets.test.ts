import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load";
import { ConfigError } from "../../../src/errors";

const REPO = "[local_backup]\nRESTIC_REPOSITORY=/mnt/repo\nRESTIC_PASSWORD_FILE=/etc/pw\n";
const CLOUD = "[cloud_sync]\nRCLONE_REMOTE=b2\nRCLONE_PATH=host1/restic\nTRANSFERS=8\nBANDWIDTH=10M\n";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "targets-"));
  mkdirSync(join(root, "etc"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(root, "etc", "config.ini");
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return loadConfig({
    flag: file,
    env: { BACKUP_TUI_STATE_DIR: join(root, "state"), ...env },
    exeDir: root,
    cwd: root,
    home: root,
    uid: 1000,
  });
}
function loadError(text: string): ConfigError {
  try {
    load(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("sync targets: [cloud_sync] is `default`, each [cloud_sync:NAME] another copy", () => {
  it("Given no [cloud_sync], When loaded, Then there is no target", () => {
    expect(load(REPO).targets).toEqual([]);
  });

  it("Given [cloud_sync] with a remote, When loaded, Then it is the mirror target `default` with its own settings", () => {
    expect(load(REPO + CLOUD).targets).toEqual([
      {
        name: "default",
        section: "cloud_sync",
        mode: "mirror",
        remote: "b2",
        path: "host1/restic",
        transfers: 8,
        bandwidth: "10M",
        keepDeletedDays: 7,
        maxDeletePercent: 50,
        schedule: undefined,
      },
    ]);
  });

  it("Given two named targets, When loaded, Then they follow `default` in file order and inherit what they leave out", () => {
    const c = load(
      `${REPO}${CLOUD}[cloud_sync:offsite]\nMODE=append\nRCLONE_REMOTE=s3\nRCLONE_PATH=locked/host1\nBANDWIDTH=2M\nSCHEDULE=0 6 * * *\n` +
        "[cloud_sync:nas]\nMODE=restic\nRESTIC_REPOSITORY=../nas-repo\nRESTIC_PASSWORD_FILE=nas-pw\n",
    );
    expect(c.targets.map((t) => t.name)).toEqual(["default", "offsite", "nas"]);
    expect(c.targets[1]).toMatchObject({ mode: "append", remote: "s3", transfers: 8, bandwidth: "2M" });
    expect(c.targets[1].schedule).toBe("0 6 * * *");
    expect(c.targets[2]).toMatchObject({
      mode: "restic",
      repository: join(root, "nas-repo"),
      password: { kind: "file", path: join(root, "etc", "nas-pw") },
    });
    expect(c.warnings).toEqual([]);
  });

  it("Given a restic target with a URL and a password command, When loaded, Then the URL stays as written", () => {
    const c = load(
      `${REPO}[cloud_sync:rest]\nMODE=restic\nRESTIC_REPOSITORY=rest:http://u:p@127.0.0.1:8000/h1\nRESTIC_PASSWORD_COMMAND=pass show x\n`,
    );
    expect(c.targets[0]).toMatchObject({
      name: "rest",
      repository: "rest:http://u:p@127.0.0.1:8000/h1",
      password: { kind: "command", command: "pass show x" },
    });
  });

  it("Given MODE=restic without a password source, When loaded, Then it fails naming the section and both keys", () => {
    const err = loadError(`${REPO}[cloud_sync:nas]\nMODE=restic\nRESTIC_REPOSITORY=/srv/nas\n`);
    expect(err.message).toMatch(
      /\[cloud_sync:nas\] MODE=restic needs exactly one of RESTIC_PASSWORD_FILE, RESTIC_PASSWORD_COMMAND/,
    );
    expect(err.message).toContain("config.ini:6");
  });

  it("Given MODE=restic without a repository, When loaded, Then it fails saying what is missing", () => {
    expect(loadError(`${REPO}[cloud_sync:nas]\nMODE=restic\nRESTIC_PASSWORD_FILE=/x\n`).message).toContain(
      "MODE=restic needs RESTIC_REPOSITORY",
    );
  });

  it("Given a named section with no remote, When loaded, Then it fails: a target must say where it writes", () => {
    expect(loadError(`${REPO}[cloud_sync:x]\nBANDWIDTH=1M\n`).message).toContain("[cloud_sync:x] names no copy");
    expect(loadError(`${REPO}[cloud_sync:x]\nRCLONE_REMOTE=b2\n`).message).toContain(
      "[cloud_sync:x] RCLONE_PATH is required",
    );
  });

  it("Given a bad mode, a bad name or the name default, When loaded, Then each is an error", () => {
    expect(loadError(`${REPO}[cloud_sync:x]\nMODE=sync\nRCLONE_REMOTE=b\nRCLONE_PATH=p\n`).message).toMatch(
      /\[cloud_sync:x\] MODE: .*mirror.*append.*restic/,
    );
    expect(loadError(`${REPO}[cloud_sync:a b]\nRCLONE_REMOTE=b\nRCLONE_PATH=p\n`).message).toContain(
      "a target name is 1 to 32 letters",
    );
    expect(loadError(`${REPO}[cloud_sync:Default]\nRCLONE_REMOTE=b\nRCLONE_PATH=p\n`).message).toContain(
      `the name "default" is [cloud_sync]'s own`,
    );
  });

  it("Given two targets writing to the same place, When loaded, Then it fails: they would overwrite each other", () => {
    const err = loadError(`${REPO}${CLOUD}[cloud_sync:again]\nRCLONE_REMOTE=b2\nRCLONE_PATH=host1/restic/\n`);
    expect(err.message).toContain("[cloud_sync:again] writes where [cloud_sync] does (b2:host1/restic/)");
  });

  it("Given keys the mode does not use and an unknown key, When loaded, Then each is a warning naming its line", () => {
    const c = load(
      `${REPO}[cloud_sync:o]\nMODE=append\nRCLONE_REMOTE=b\nRCLONE_PATH=p\nKEEP_DELETED_DAYS=3\nRESTIC_PASSWORD_FILE=/x\nBANDWITH=1M\n`,
    );
    expect(c.warnings.join("\n")).toMatch(
      /config\.ini:8: \[cloud_sync:o\] KEEP_DELETED_DAYS is ignored: MODE=append never deletes/,
    );
    expect(c.warnings.join("\n")).toMatch(/config\.ini:9: \[cloud_sync:o\] RESTIC_PASSWORD_FILE is ignored/);
    expect(c.warnings.join("\n")).toMatch(/unknown key BANDWITH in \[cloud_sync:o\].*did you mean BANDWIDTH\?/);
  });

  it("Given a bad SCHEDULE, When loaded, Then it is an error naming the section", () => {
    expect(loadError(`${REPO}[cloud_sync:o]\nRCLONE_REMOTE=b\nRCLONE_PATH=p\nSCHEDULE=every day\n`).message).toContain(
      "[cloud_sync:o] SCHEDULE: not a valid cron expression",
    );
  });

  it("Given a named target, When the effective keys are shown, Then its section is listed with its origins, credentials masked", () => {
    const c = load(
      `${REPO}[cloud_sync:r]\nMODE=restic\nRESTIC_REPOSITORY=rest:http://u:secretpw@h:1/x\nRESTIC_PASSWORD_FILE=/x\n`,
    );
    expect(c.keys?.["cloud_sync:r"]?.MODE).toMatchObject({ value: "restic", origin: expect.stringContaining(":5") });
    expect(JSON.stringify(c.keys)).not.toContain("secretpw");
  });

  it("Given the [cloud_sync] MODE from the environment with a confirmation password, When loaded, Then it is refused (it decides what gets deleted)", () => {
    expect(() =>
      load(`${REPO}${CLOUD}[security]\nCONFIRM_PASSWORD_HASH=scrypt$16384$8$1$c2FsdA$aGFzaA\n`, {
        BACKUP_TUI_CLOUD_SYNC_MODE: "mirror",
      }),
    ).toThrow(/BACKUP_TUI_CLOUD_SYNC_MODE/);
  });
});
