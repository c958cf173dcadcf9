import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import {
  radosgw,
  s3LockedBucket,
  s3RemoteEnv,
  s3Request,
  s3Versions,
  stopAllServers,
  type Radosgw,
} from "../../helpers/servers";

// MODE=append into an S3 bucket with a default COMPLIANCE retention (Ceph radosgw, real Object
// Lock): the sync uploads with the host's own keys; those same keys then try to destroy the copy
// (rclone purge, rclone delete, a DELETE of each version). Every data version stays; the next
// sync raises the tamper alarm (exit 1) and writes nothing; the copy as it was before the attack
// is read back (rclone --s3-version-at) into a repository that checks clean, every snapshot there.

const BUCKET = "host1-vault";
const MiB = 1024 * 1024;

describe("MODE=append into an Object Lock (COMPLIANCE) bucket", () => {
  let w: TestWorld;
  let gw: Radosgw;
  let env: NodeJS.ProcessEnv;
  const rclone = (args: string[]) =>
    spawnSync("rclone", ["--config", "/dev/null", "--retries", "1", ...args], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
  const dataVersions = () =>
    s3Versions(gw, BUCKET)
      .filter((v) => !v.deleteMarker)
      .map((v) => `${v.key}@${v.versionId}`)
      .sort();
  const resticAt = (repo: string, args: string[]) =>
    spawnSync("restic", ["-r", repo, ...args], {
      env: { ...process.env, RESTIC_PASSWORD_FILE: w.passwordFile, RESTIC_PASSWORD: undefined },
      encoding: "utf8",
    });

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    gw = await radosgw({ dir: join(w.dir, "rgw"), workDir: join(w.dir, "servers") });
    s3LockedBucket(gw, BUCKET, { days: 1 });
    appendFileSync(
      w.configFile,
      ["[cloud_sync:vault]", "MODE=append", "RCLONE_REMOTE=lock", `RCLONE_PATH=${BUCKET}/restic`, ""].join("\n"),
    );
    env = { ...s3RemoteEnv("lock", gw), BACKUP_TUI_RETRY_BASE_MS: "100" };
    restic(w, ["init", "-q"]);
    const data = join(w.dir, "data");
    mkdirSync(data);
    writeFileSync(join(data, "a.bin"), randomBytes(2 * MiB));
    restic(w, ["backup", "-q", "--tag", "backup-tui,kind:stack,stack:app", data]);
    writeFileSync(join(data, "b.bin"), randomBytes(MiB));
    restic(w, ["backup", "-q", "--tag", "backup-tui,kind:stack,stack:app", data]);
  }, 120_000);
  afterAll(async () => {
    await stopAllServers();
    w?.cleanup();
  });

  it("syncs with the host's keys, which then cannot destroy a single version; the next sync sees the loss and the copy comes back whole", () => {
    const s = cli(w, ["sync", "--to", "vault", "--json"], env);
    expect(s.code, s.stderr).toBe(0);
    const synced = dataVersions();
    expect(synced.filter((v) => v.startsWith("restic/snapshots/"))).toHaveLength(2);
    // A moment the attack comes after (S3 times have a resolution of a second).
    const beforeAttack = new Date(Date.now() + 1500).toISOString();
    spawnSync("sleep", ["3"]);

    // The attack, with the host's own credentials.
    expect(rclone(["purge", `lock:${BUCKET}/restic`]).status).not.toBe(0);
    rclone(["delete", `lock:${BUCKET}/restic`]); // only adds delete markers
    for (const v of s3Versions(gw, BUCKET)
      .filter((x) => !x.deleteMarker)
      .slice(0, 3)) {
      const r = s3Request(gw, "DELETE", `/${BUCKET}/${v.key}?versionId=${encodeURIComponent(v.versionId)}`);
      expect(r.status, `version ${v.key}@${v.versionId}`).toBe(403);
    }
    expect(dataVersions()).toEqual(synced);
    expect(rclone(["lsf", "-R", "--files-only", `lock:${BUCKET}/restic`]).stdout.trim()).toBe("");

    // The host's next sync: the copy lost what it did not forget; nothing is written.
    const next = cli(w, ["sync", "--to", "vault"], env);
    expect(next.code).toBe(1);
    expect(next.stderr).toMatch(/the copy at vault lost 2 snapshots you did not forget/);
    expect(dataVersions()).toEqual(synced);

    // The copy as it was: every version read back, a sound repository with both snapshots.
    const back = join(w.dir, "back");
    const copy = rclone(["copy", `--s3-version-at=${beforeAttack}`, `lock:${BUCKET}/restic`, back]);
    expect(copy.status, copy.stderr).toBe(0);
    expect(resticAt(back, ["check", "--read-data"]).status).toBe(0);
    const snaps = JSON.parse(resticAt(back, ["snapshots", "--json", "--no-lock"]).stdout) as unknown[];
    expect(snaps).toHaveLength(2);
  }, 300_000);
});
