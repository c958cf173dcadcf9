import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, resultOf, type TestWorld } from "../../helpers/env";
import { start, waitFor, type Running } from "../../helpers/processes";
import {
  listFiles,
  obscure,
  rcloneServe,
  remoteEnv,
  radosgw,
  s3Bucket,
  s3RemoteEnv,
  stopAllServers,
  type Radosgw,
  type RcloneServer,
} from "../../helpers/servers";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// Stage 2 (sync) and stage 3 (pull) against real servers on loopback: rclone serve sftp and
// serve webdav with a user and password, a real S3 server (Ceph radosgw) through rclone's s3
// backend, and a local-type remote.

const MiB = 1024 * 1024;
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

interface SyncResult {
  attempts: number;
  transfer: { copied: number; deleted: number; stats?: { bytes: number; elapsedTime: number } };
  verified?: { ok: boolean };
  localSnapshots: number;
  remoteSnapshots: number;
}

/** True once any file exists below dir (the first pack landed on the server). */
function hasFileBelow(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isFile() && statSync(p).size > 0) return true;
    if (e.isDirectory() && hasFileBelow(p)) return true;
  }
  return false;
}

describe("sync and pull against real servers on loopback", () => {
  let w: TestWorld;
  let stackDir: string;
  let mountpoint: string;
  let sftp: RcloneServer;
  let webdav: RcloneServer;
  let s3: Radosgw;
  const S3_BUCKET = "mirrors";
  const background: Running[] = [];
  /** A second repository of 60 MiB random data: syncs long enough (with a bandwidth limit) to kill the server in the middle. */
  let bigRepo: string;

  const resticAt = (repo: string, args: string[]) =>
    execFileSync("restic", args, {
      env: {
        ...process.env,
        RESTIC_REPOSITORY: repo,
        RESTIC_PASSWORD_FILE: w.passwordFile,
        RESTIC_PASSWORD: undefined,
      },
      encoding: "utf8",
      maxBuffer: 64 * MiB,
    });
  const snapshotIds = (repo: string) =>
    (JSON.parse(resticAt(repo, ["snapshots", "--json", "--no-lock"])) as Array<{ id: string }>).map((s) => s.id).sort();
  /** Runs rclone with the remote's variables (the test's own check of the copy). */
  const rclone = (args: string[], env: NodeJS.ProcessEnv) =>
    execFileSync("rclone", ["--config", "/dev/null", ...args], {
      env: { ...process.env, ...env },
      encoding: "utf8",
      stdio: "pipe",
    });
  /** A file's bytes as the remote serves them (rclone cat). */
  const rcloneCat = (remotePath: string, env: NodeJS.ProcessEnv) =>
    execFileSync("rclone", ["--config", "/dev/null", "cat", remotePath], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  const target = (
    name: string,
    server: RcloneServer | Radosgw | "local",
    path: string,
    extra: NodeJS.ProcessEnv = {},
  ): NodeJS.ProcessEnv => ({
    ...(server !== "local" && "accessKey" in server
      ? s3RemoteEnv(name, server)
      : remoteEnv(name, server as RcloneServer | "local")),
    BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: name,
    BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: path,
    BACKUP_TUI_RETRY_BASE_MS: "200",
    ...extra,
  });

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    stackDir = writeStack(w.stacksDir, "cloudsync", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(stackDir);
    mountpoint = volumeMountpoint("cloudsync_data");
    writeFileSync(join(mountpoint, "blob.bin"), randomBytes(3 * MiB));
    writeFileSync(join(mountpoint, "note.txt"), "the cloud copy must bring this back\n");
    const b = cli(w, ["backup", "cloudsync"]);
    expect(b.code, b.stderr).toBe(0);

    bigRepo = join(w.dir, "big-repo");
    resticAt(bigRepo, ["init", "-q"]);
    const bigData = join(w.dir, "big-data");
    mkdirSync(bigData);
    for (let i = 0; i < 4; i++) writeFileSync(join(bigData, `r${i}.bin`), randomBytes(15 * MiB));
    resticAt(bigRepo, ["backup", "-q", bigData]);
    rmSync(bigData, { recursive: true });

    sftp = await rcloneServe("sftp", {
      dir: join(w.dir, "srv-sftp"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: "sftp-pass-4711",
    });
    webdav = await rcloneServe("webdav", {
      dir: join(w.dir, "srv-webdav"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: "dav-pass-4711",
    });
    s3 = await radosgw({ dir: join(w.dir, "srv-s3"), workDir: join(w.dir, "servers") });
    s3Bucket(s3, S3_BUCKET);
  });
  afterEach(async () => {
    // A held backup (the lock test) lets go, so its restic does not outlive a failed test.
    if (existsSync(join(w.dir, "hold-restic.sh"))) writeFileSync(join(w.dir, "hold.release"), "");
    for (const r of background.splice(0)) {
      r.child.kill("SIGKILL");
      await r.done;
    }
  });
  afterAll(async () => {
    await stopAllServers();
    composeDown(stackDir);
    w?.cleanup();
  });

  for (const kind of ["sftp", "webdav", "s3", "local"] as const) {
    it(`${kind}: sync mirrors the repository, a second sync copies nothing, the pulled copy passes restic check and restores byte-identical, verify --remote passes`, () => {
      const server = kind === "sftp" ? sftp : kind === "webdav" ? webdav : kind === "s3" ? s3 : "local";
      // A path of its own per server: the same remote:path on another server would look, to the
      // tamper alarm, like the copy there lost everything (it is the same place by name).
      const path =
        kind === "local" ? join(w.dir, "mirror-local") : kind === "s3" ? `${S3_BUCKET}/mirror` : `mirror-${kind}`;
      const env = target("cloud", server, path);
      const first = cli(w, ["sync", "--json"], env);
      expect(first.code, first.stderr).toBe(0);
      const r1 = resultOf<SyncResult>(first.stdout, "sync");
      expect(r1.transfer.copied).toBeGreaterThan(3);
      expect(r1.verified?.ok).toBe(true);
      expect(r1.attempts).toBe(1);
      // The test's own comparison: sizes and hashes where the remote has them.
      rclone(["check", w.repo, `cloud:${path}`, "--one-way=false"], env);
      // What the server itself holds: on its disk, or (S3, whose objects live in the OSD) as it serves it.
      const served =
        kind === "local"
          ? readFileSync(join(path, "config"))
          : kind === "s3"
            ? rcloneCat(`cloud:${path}/config`, env)
            : readFileSync(join((server as RcloneServer).dir, path, "config"));
      expect(served).toEqual(readFileSync(join(w.repo, "config")));

      const second = cli(w, ["sync", "--json"], env);
      expect(second.code, second.stderr).toBe(0);
      const r2 = resultOf<SyncResult>(second.stdout, "sync");
      expect(r2.transfer.copied).toBe(0);
      expect(r2.transfer.deleted).toBe(0);
      expect(r2.remoteSnapshots).toBe(r2.localSnapshots);

      // Stage 3 into an empty directory: the copy opens with the password and passes restic check.
      const pulled = join(w.dir, `pulled-${kind}`);
      const pull = cli(w, ["restore", pulled], env);
      expect(pull.code, pull.stderr).toBe(0);
      expect(pull.stdout).toContain("passes `restic check`");
      expect(pull.stdout).toMatch(/cloudsync\s+\S+\s+1\s/);
      expect(resticAt(pulled, ["check"])).toContain("no errors were found");
      expect(snapshotIds(pulled)).toEqual(snapshotIds(w.repo));
      const out = join(w.dir, `restored-${kind}`);
      resticAt(pulled, [
        "restore",
        "latest",
        "--target",
        out,
        "--include",
        join(mountpoint, "blob.bin"),
        "--include",
        join(mountpoint, "note.txt"),
      ]);
      expect(sha256(join(out, mountpoint, "blob.bin"))).toBe(sha256(join(mountpoint, "blob.bin")));
      expect(readFileSync(join(out, mountpoint, "note.txt"), "utf8")).toBe("the cloud copy must bring this back\n");

      // The cloud copy itself, through restic's rclone backend.
      const verify = cli(w, ["verify", "--remote"], env);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      expect(verify.stdout).toContain(`verified rclone:cloud:${path}: metadata OK`);
    });
  }

  it("a server that restarts ~1 s after being killed mid-sync: the sync still finishes, and the copy checks equal", async () => {
    const env = target("cloud", sftp, "big-blip", { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: bigRepo });
    const run = start(["sync", "--bwlimit", "10M"], { ...w.env, ...env });
    background.push(run);
    await waitFor(() => hasFileBelow(join(sftp.dir, "big-blip", "data")), 60_000, "the first pack on the server");
    sftp.kill();
    await sftp.waitGone();
    await new Promise((r) => setTimeout(r, 1000));
    await sftp.start();
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain("the cloud copy matches the local repository");
    rclone(["check", bigRepo, "cloud:big-blip", "--one-way=false"], env);
  });

  it("a server down for longer than one attempt: the stalled attempt is stopped, retried once the server is back, exit 0, copy equal", async () => {
    // A short stall limit stands in for the default two minutes; the backoff leaves time to restart the server.
    const env = target("cloud", sftp, "big-retry", {
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: bigRepo,
      BACKUP_TUI_RCLONE_STALL_MS: "3000",
      BACKUP_TUI_RETRY_BASE_MS: "2000",
      BACKUP_TUI_CLOUD_SYNC_RETRIES: "4",
    });
    const run = start(["sync", "--bwlimit", "10M"], { ...w.env, ...env });
    background.push(run);
    let stderr = "";
    run.child.stderr!.on("data", (d) => (stderr += d));
    await waitFor(() => hasFileBelow(join(sftp.dir, "big-retry", "data")), 60_000, "the first pack on the server");
    sftp.kill();
    await sftp.waitGone();
    await waitFor(() => /retrying in/.test(stderr), 60_000, "backup-tui to give up the first attempt");
    await sftp.start();
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(
      /sync attempt 1 failed \(rclone sync made no progress for 3 s and was stopped.*\); retrying in/,
    );
    const attempts = Number(/\((\d+) attempts\)/.exec(res.stdout)?.[1]);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(res.stdout).toContain("the cloud copy matches the local repository");
    rclone(["check", bigRepo, "cloud:big-retry", "--one-way=false"], env);
  });

  it("a server gone for good mid-sync: exit 1 after RETRIES attempts with a clear message, the local repository untouched", async () => {
    const env = target("cloud", sftp, "big-gone", {
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: bigRepo,
      BACKUP_TUI_RCLONE_STALL_MS: "3000",
      BACKUP_TUI_CLOUD_SYNC_RETRIES: "3",
    });
    const filesBefore = listFiles(bigRepo);
    const snapshotsBefore = snapshotIds(bigRepo);
    const run = start(["sync", "--bwlimit", "10M"], { ...w.env, ...env });
    background.push(run);
    await waitFor(() => hasFileBelow(join(sftp.dir, "big-gone", "data")), 60_000, "the first pack on the server");
    sftp.kill();
    await sftp.waitGone();
    try {
      const res = await run.done;
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/error: sync to cloud:big-gone failed after 3 attempts: /);
      expect(res.stderr).toContain("hint: Nothing was changed locally");
      expect(res.stderr.match(/sync attempt \d failed .*; retrying in/g)).toHaveLength(2);
      expect(listFiles(bigRepo)).toEqual(filesBefore);
      expect(snapshotIds(bigRepo)).toEqual(snapshotsBefore);
      const hist = JSON.parse(cli(w, ["history", "--json"], env).stdout) as {
        runs: Array<{ kind: string; status: string }>;
      };
      expect(hist.runs[0]).toMatchObject({ kind: "sync", status: "failed" });
    } finally {
      await sftp.start();
    }
  });

  it("a server down from the start: the connection is retried RETRIES times, then exit 1 naming the remote", async () => {
    await webdav.stop();
    try {
      const env = target("cloud", webdav, "mirror", { BACKUP_TUI_CLOUD_SYNC_RETRIES: "2" });
      const t0 = Date.now();
      const r = cli(w, ["sync"], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /connecting to cloud:mirror: attempt 1 failed \(rclone could not reach the remote \(connection refused\)\); retrying in/,
      );
      expect(r.stderr).toContain(
        "error: connecting to cloud:mirror failed after 2 attempts: rclone could not reach the remote (connection refused)",
      );
      expect(Date.now() - t0).toBeLessThan(60_000);
    } finally {
      await webdav.start();
    }
  });

  for (const kind of ["sftp", "webdav"] as const) {
    it(`${kind}: wrong credentials are refused at once, with a clear message and no retries`, () => {
      const server = kind === "sftp" ? sftp : webdav;
      const env = {
        ...target("cloud", server, "mirror"),
        RCLONE_CONFIG_CLOUD_PASS: obscure("not-the-password"),
        BACKUP_TUI_CLOUD_SYNC_RETRIES: "3",
      };
      const t0 = Date.now();
      const r = cli(w, ["sync"], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error: the remote refused the credentials");
      expect(r.stderr).toContain("hint: Check the remote's user, password or keys");
      expect(r.stderr).not.toContain("retrying");
      expect(r.stderr).not.toContain("not-the-password");
      expect(Date.now() - t0).toBeLessThan(15_000);
    });
  }

  it("the bandwidth limit holds: 8 MiB at --bwlimit 2M takes at least 3 s (and well under that without a limit)", () => {
    const repo = join(w.dir, "bw-repo");
    resticAt(repo, ["init", "-q"]);
    const data = join(w.dir, "bw-data");
    mkdirSync(data);
    writeFileSync(join(data, "random.bin"), randomBytes(8 * MiB));
    resticAt(repo, ["backup", "-q", data]);
    const base = { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: repo };

    const limited = cli(w, ["sync", "--json", "--bwlimit", "2M"], target("cloud", sftp, "bw-limited", base));
    expect(limited.code, limited.stderr).toBe(0);
    const l = resultOf<SyncResult>(limited.stdout, "sync");
    expect(l.transfer.stats!.bytes).toBeGreaterThanOrEqual(8 * MiB);
    expect(l.transfer.stats!.elapsedTime).toBeGreaterThanOrEqual(3);

    const free = cli(w, ["sync", "--json"], target("cloud", sftp, "bw-free", base));
    expect(free.code, free.stderr).toBe(0);
    expect(resultOf<SyncResult>(free.stdout, "sync").transfer.stats!.elapsedTime).toBeLessThan(2.5);
  });

  it("a sync while a backup holds the repository exits 75; with --wait it runs once the backup is done and mirrors its snapshot", async () => {
    // A restic that holds the backup open until told to go on.
    const hold = join(w.dir, "hold-restic.sh");
    const marker = join(w.dir, "hold.pid");
    const release = join(w.dir, "hold.release");
    writeFileSync(
      hold,
      `#!/bin/sh\nif [ "$1" = backup ] && [ ! -e "${release}" ]; then\n  echo $$ > "${marker}"\n  while [ ! -e "${release}" ]; do sleep 0.1; done\nfi\nexec restic "$@"\n`,
    );
    chmodSync(hold, 0o755);
    const path = join(w.dir, "mirror-locked");
    const env = target("cloud", "local", path);

    const backup = start(["backup", "cloudsync"], { ...w.env, BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: hold });
    background.push(backup);
    await waitFor(() => existsSync(marker), 60_000, "the backup to start restic");

    const refused = cli(w, ["sync"], env);
    expect(refused.code).toBe(75);
    expect(refused.stderr).toContain(`pid ${backup.child.pid}`);
    expect(existsSync(path)).toBe(false);

    const waiting = start(["sync", "--wait", "2m"], { ...w.env, ...env });
    background.push(waiting);
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(path)).toBe(false); // still queued behind the backup
    writeFileSync(release, "");
    const b = await backup.done;
    expect(b.code, b.stderr).toBe(0);
    const s = await waiting.done;
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toContain("waiting up to");
    // The mirror holds the snapshot the backup wrote: the sync ran after it.
    const local = readdirSync(join(w.repo, "snapshots")).sort();
    expect(readdirSync(join(path, "snapshots")).sort()).toEqual(local);
    rclone(["check", w.repo, `cloud:${path}`, "--one-way=false"], env);
  });

  it("a remote path holding another repository is refused and left as it was", () => {
    const other = join(w.dir, "other-repo");
    resticAt(other, ["init", "-q"]);
    const path = join(w.dir, "mirror-foreign");
    const env = target("cloud", "local", path);
    rclone(["sync", other, `cloud:${path}`, "--create-empty-src-dirs"], env);
    const before = listFiles(path);

    const r = cli(w, ["sync"], env);
    expect(r.code).toBe(2); // a refusal (the check shared with restore PATH)
    expect(r.stderr).toContain(`error: cloud:${path} holds a different restic repository`);
    expect(r.stderr).toContain("needs its own RCLONE_PATH");
    expect(listFiles(path)).toEqual(before);
    expect(readFileSync(join(path, "config"), "utf8")).toBe(readFileSync(join(other, "config"), "utf8"));
  });

  it("a local repository with far fewer snapshots than the cloud copy is refused; --force syncs and keeps the removed files under RCLONE_PATH.deleted/<date>/", () => {
    const repo = join(w.dir, "shrink-repo");
    resticAt(repo, ["init", "-q"]);
    const data = join(w.dir, "shrink-data");
    mkdirSync(data);
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(data, "f.txt"), `version ${i}\n`);
      resticAt(repo, ["backup", "-q", data]);
    }
    const path = join(w.dir, "mirror-shrink");
    const env = target("cloud", "local", path, { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: repo });
    expect(cli(w, ["sync"], env).code).toBe(0);
    const remoteBefore = readdirSync(join(path, "snapshots")).sort();
    expect(remoteBefore).toHaveLength(4);

    resticAt(repo, ["forget", "-q", "--keep-last", "1"]);
    const kept = readdirSync(join(repo, "snapshots"));
    expect(kept).toHaveLength(1);

    const refused = cli(w, ["sync"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`the sync would remove 3 of the 4 snapshots in cloud:${path}`);
    expect(refused.stderr).toContain("sync --force");
    expect(readdirSync(join(path, "snapshots")).sort()).toEqual(remoteBefore);

    const day = new Date().toISOString().slice(0, 10);
    const forced = cli(w, ["sync", "--force"], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(join(path, "snapshots"))).toEqual(kept);
    const removed = remoteBefore.filter((id) => !kept.includes(id));
    expect(readdirSync(join(`${path}.deleted`, day, "snapshots")).sort()).toEqual(removed.sort());
  });
});
