import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { listFiles, rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";

// MAX_DELETE_PERCENT counts snapshot IDs: those on the cloud copy that the local repository
// lacks (what the mirror would remove), against a real repository and rclone serve sftp on loopback.

describe("sync's MAX_DELETE_PERCENT guard counts the cloud copy's snapshots the sync would remove", () => {
  let w: TestWorld;
  let sftp: RcloneServer;
  let env: NodeJS.ProcessEnv;
  let mirror: string;
  let data: string;
  let version = 0;

  const localIds = () => readdirSync(join(w.repo, "snapshots")).sort();
  const remoteIds = () => readdirSync(join(mirror, "snapshots")).sort();
  const backups = (n: number) => {
    for (let i = 0; i < n; i++) {
      writeFileSync(join(data, "f.txt"), `version ${++version}\n`);
      restic(w, ["backup", "-q", "--host", "guard-host", data]);
    }
  };

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    data = join(w.dir, "data");
    mkdirSync(data);
    backups(10);
    sftp = await rcloneServe("sftp", {
      dir: join(w.dir, "srv-sftp"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: "sftp-pass-4711",
    });
    mirror = join(sftp.dir, "mirror");
    env = {
      ...remoteEnv("cloud", sftp),
      BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: "cloud",
      BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: "mirror",
      BACKUP_TUI_RETRY_BASE_MS: "200",
    };
    const first = cli(w, ["sync"], env);
    expect(first.code, first.stderr).toBe(0);
    expect(remoteIds()).toEqual(localIds());
    expect(remoteIds()).toHaveLength(10);
  }, 240_000);
  afterAll(async () => {
    await stopAllServers();
    w?.cleanup();
  });

  it("8 of the cloud's 10 snapshots forgotten locally and 8 new ones made (as many as before): sync and sync --dry-run refuse with exit 2 naming 8 of 10 and --force; the cloud copy is unchanged", () => {
    restic(w, ["forget", "-q", "--keep-last", "2"]);
    backups(8);
    expect(localIds()).toHaveLength(10); // the same count as the cloud copy: only the IDs tell
    const before = listFiles(mirror);

    for (const args of [["sync"], ["sync", "--dry-run"]]) {
      const r = cli(w, args, env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain("would remove 8 of the 10 snapshots in cloud:mirror");
      expect(r.stderr).toContain("MAX_DELETE_PERCENT 50%");
      expect(r.stderr).toContain("sync --force");
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(listFiles(mirror)).toEqual(before);
    }
  }, 120_000);

  it("--force goes through: the cloud copy then holds exactly the local snapshots", () => {
    const forced = cli(w, ["sync", "--force"], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(remoteIds()).toEqual(localIds());
  }, 120_000);

  it("5 of 10 forgotten (50%, not more than MAX_DELETE_PERCENT) goes through; MAX_DELETE_PERCENT=40 refuses the same sync", () => {
    restic(w, ["forget", "-q", "--keep-last", "5"]);
    const before = listFiles(mirror);
    const strict = cli(w, ["sync"], { ...env, BACKUP_TUI_CLOUD_SYNC_MAX_DELETE_PERCENT: "40" });
    expect(strict.code, strict.stderr).toBe(2);
    expect(strict.stderr).toContain("would remove 5 of the 10 snapshots in cloud:mirror");
    expect(listFiles(mirror)).toEqual(before);

    const r = cli(w, ["sync"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(remoteIds()).toEqual(localIds());
    expect(remoteIds()).toHaveLength(5);
  }, 120_000);
});
