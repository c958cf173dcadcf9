import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, resultOf, type TestWorld } from "../../helpers/env";
import { allCommandLines, start } from "../../helpers/processes";
import {
  radosgw,
  rcloneServe,
  remoteEnv,
  s3Bucket,
  s3RemoteEnv,
  s3Repository,
  s3ResticEnv,
  sshKey,
  sshWrapper,
  stopAllServers,
  type Radosgw,
  type RcloneServer,
} from "../../helpers/servers";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// RESTIC_REPOSITORY pointing off the host: rest: (rclone serve restic with a user and password),
// sftp: (restic's own sftp backend: ssh with a key against rclone serve sftp), rclone: (restic's
// rclone backend over a WebDAV remote) and s3: (a real S3 server, Ceph radosgw). Credentials come from the
// config file (rest: URL with user and password) or the environment (AWS keys, the rclone remote's
// obscured password); no process ever has them in its argv.

const MiB = 1024 * 1024;
const STACK = "remoterepo";
const REST_PASS = "rest-Pa55-wOrd-9f3c";

interface Snap {
  id: string;
  host: string;
  stack?: string;
  kind?: string;
}

describe("remote repositories: rest:, sftp:, rclone:, s3:", () => {
  let w: TestWorld;
  let stackDir: string;
  let mountpoint: string;
  let rest: RcloneServer;
  let sftp: RcloneServer;
  let webdav: RcloneServer;
  let s3: Radosgw;
  let sshBin: string;
  /** A config file of its own holding the rest: URL with the credentials (chmod 600). */
  let restConfig: string;
  const restUrl = () => `rest:http://backup:${REST_PASS}@127.0.0.1:${rest.port}/`;

  /** The environment of one kind: repository, its credentials, and a state directory of its own (a host). */
  const kinds: Record<string, () => NodeJS.ProcessEnv> = {
    rest: () => ({ BACKUP_TUI_CONFIG: restConfig }),
    sftp: () => ({
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: `sftp://backup@127.0.0.1:${sftp.port}/repo`,
      PATH: `${sshBin}:${process.env.PATH}`,
    }),
    rclone: () => ({
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: "rclone:dav:restic-repo",
      ...remoteEnv("dav", webdav),
    }),
    s3: () => ({
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: s3Repository(s3, "backups/restic"),
      // The keys (AWS_*) and a restic cache of this test's own.
      ...s3ResticEnv(s3, { cacheDir: join(w.dir, "restic-cache-s3") }),
    }),
  };
  const envOf = (kind: string, host?: string): NodeJS.ProcessEnv => ({
    ...kinds[kind](),
    BACKUP_TUI_STATE_DIR: join(w.dir, `state-${kind}${host ? `-${host}` : ""}`),
    ...(host ? { BACKUP_TUI_LOCAL_BACKUP_HOSTNAME: host } : {}),
  });
  /** restic itself against a kind's repository, for assertions. */
  const resticJson = <T>(kind: string, args: string[]): T => {
    const repository = kind === "rest" ? restUrl() : kinds[kind]().BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY;
    const env = {
      ...process.env,
      ...envOf(kind),
      RESTIC_REPOSITORY: repository,
      RESTIC_PASSWORD_FILE: w.passwordFile,
      RESTIC_PASSWORD: undefined,
    };
    return JSON.parse(execFileSync("restic", [...args, "--json"], { env, encoding: "utf8", maxBuffer: 64 * MiB })) as T;
  };

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    stackDir = writeStack(w.stacksDir, STACK, { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(stackDir);
    mountpoint = volumeMountpoint(`${STACK}_data`);
    writeFileSync(join(mountpoint, "blob.bin"), randomBytes(12 * MiB));
    writeFileSync(join(mountpoint, "settings.json"), JSON.stringify({ greeting: "from the remote repository" }));
    writeFileSync(join(stackDir, "app.env"), "MODE=production\n");

    const servers = join(w.dir, "servers");
    const key = sshKey(join(w.dir, "ssh"));
    sshBin = sshWrapper(join(w.dir, "ssh"), key.key);
    [rest, sftp, webdav, s3] = await Promise.all([
      rcloneServe("restic", { dir: join(w.dir, "srv-rest"), workDir: servers, user: "backup", pass: REST_PASS }),
      rcloneServe("sftp", { dir: join(w.dir, "srv-sftp"), workDir: servers, user: "backup", authorizedKeys: key.pub }),
      rcloneServe("webdav", {
        dir: join(w.dir, "srv-webdav"),
        workDir: servers,
        user: "backup",
        pass: "dav-Pa55-7781",
      }),
      radosgw({ dir: join(w.dir, "srv-s3"), workDir: servers }),
    ]);
    s3Bucket(s3, "backups");
    restConfig = join(w.dir, "config-rest.ini");
    writeFileSync(
      restConfig,
      readFileSync(w.configFile, "utf8").replace(/^RESTIC_REPOSITORY=.*$/m, `RESTIC_REPOSITORY=${restUrl()}`),
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await stopAllServers();
    composeDown(stackDir);
    w?.cleanup();
  });

  for (const kind of ["rest", "sftp", "rclone", "s3"]) {
    it(`${kind}: init, backup of a real stack, snapshots, restore --stack --target byte-identical, verify`, () => {
      const env = envOf(kind);
      const outputs: string[] = [];
      const run = (args: string[]) => {
        const r = cli(w, args, env);
        outputs.push(r.stdout, r.stderr);
        return r;
      };

      if (kind === "rest") {
        // A config holding credentials must be private: refused while others can read it.
        chmodSync(restConfig, 0o644);
        const open = run(["config", "validate"]);
        expect(open.code).toBe(78);
        expect(open.stderr).toContain(`chmod 600 ${restConfig}`);
        chmodSync(restConfig, 0o600);
      }

      const init = run(["init"]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toMatch(/repository:\s+\S+ \(created\)/);
      expect(run(["init"]).stdout).toMatch(/repository:\s+\S+ \(exists, opens with the password\)/);

      const backup = run(["backup", STACK]);
      expect(backup.code, backup.stderr).toBe(0);

      const snaps = run(["snapshots", "--json", "--refresh"]);
      expect(snaps.code, snaps.stderr).toBe(0);
      const list = resultOf<{ snapshots: Snap[] }>(snaps.stdout, "snapshots").snapshots;
      expect(list.map((s) => [s.stack, s.kind])).toEqual([[STACK, "stack"]]);
      // What restic itself sees in the remote repository.
      const raw = resticJson<Array<{ id: string; tags: string[] }>>(kind, ["snapshots"]);
      expect(raw.map((s) => s.id)).toEqual([list[0].id]);
      expect(raw[0].tags).toEqual(expect.arrayContaining([`stack:${STACK}`, "kind:stack", `vol:${STACK}_data`]));

      const target = join(w.dir, `restored-${kind}`);
      const restore = run(["restore", "--stack", STACK, "--target", target]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(treeDigest(join(target, mountpoint))).toEqual(treeDigest(mountpoint));
      expect(readFileSync(join(target, stackDir, "app.env"), "utf8")).toBe("MODE=production\n");

      const verify = run(["verify", "--level", "data"]);
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      expect(verify.stdout).toMatch(/verified .*: data OK/);

      // Secrets stay out of everything we print and log.
      const log = readFileSync(join(env.BACKUP_TUI_STATE_DIR!, "backup-tui.log"), "utf8");
      for (const text of [...outputs, log]) {
        expect(text).not.toContain(REST_PASS);
        expect(text).not.toContain("dav-Pa55-7781");
        expect(text).not.toContain(s3.secretKey);
      }
    });
  }

  it("rest: with a password: while a backup runs, no process has the password (or the URL holding it) in its argv", async () => {
    const env = envOf("rest");
    writeFileSync(join(mountpoint, "more.bin"), randomBytes(40 * MiB));
    const run = start(["backup", STACK], { ...w.env, ...env });
    const seen = new Set<string>();
    const leaks: string[] = [];
    let finished = false;
    void run.done.then(() => (finished = true));
    while (!finished) {
      for (const p of allCommandLines()) {
        if (p.argv.includes(REST_PASS)) leaks.push(`${p.pid}: ${p.argv}`);
        if (/^\S*restic backup /.test(p.argv)) seen.add(p.argv);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await run.done;
    rmSync(join(mountpoint, "more.bin"));
    expect(res.code, res.stderr).toBe(0);
    expect(leaks).toEqual([]);
    // The scan saw the restic processes (hot and final pass) it was meant to inspect.
    expect(seen.size).toBeGreaterThanOrEqual(1);
    expect([...seen].every((a) => a.includes("--files-from-verbatim"))).toBe(true);
    expect(res.stdout + res.stderr).not.toContain(REST_PASS);
  });

  it("two hosts writing one s3: repository are kept apart in snapshots, in restore, and in retention", () => {
    const settings = join(mountpoint, "settings.json");
    const backupAs = (host: string, content: string) => {
      writeFileSync(settings, content);
      const r = cli(w, ["backup", STACK, "--strategy", "none"], envOf("s3", host));
      expect(r.code, r.stderr).toBe(0);
    };
    // Host b first, then host a more often than KEEP_LAST=3 keeps.
    for (let i = 0; i < 2; i++) backupAs("b", `{"host":"b","n":${i}}`);
    for (let i = 0; i < 4; i++) backupAs("a", `{"host":"a","n":${i}}`);

    const listAs = (host: string, filter: string[] = []) => {
      const r = cli(w, ["snapshots", "--json", "--refresh", "--all", ...filter], envOf("s3", host));
      expect(r.code, r.stderr).toBe(0);
      return resultOf<{ snapshots: Snap[] }>(r.stdout, "snapshots").snapshots.filter(
        (s) => s.stack === STACK && s.kind === "stack",
      );
    };
    /** The snapshot objects in the bucket, as the S3 server lists them. */
    const snapshotObjects = () =>
      execFileSync("rclone", ["--config", "/dev/null", "lsf", "s3:backups/restic/snapshots"], {
        env: { ...process.env, ...s3RemoteEnv("s3", s3) },
        encoding: "utf8",
      })
        .split("\n")
        .filter(Boolean)
        .sort();
    const fromB = listAs("a", ["--host", "b"]);
    const fromA = listAs("a", ["--host", "a"]);
    expect(fromB.map((s) => s.host)).toEqual(["b", "b"]);
    expect(fromA.map((s) => s.host)).toEqual(["a", "a", "a", "a"]);
    // Without --host every host shows, each under its own name (the s3 test above backed up as this machine).
    expect(new Set(listAs("b").map((s) => s.host))).toEqual(new Set(["a", "b", hostname()]));

    // Each host's latest restores its own data; --host picks the other machine's.
    const own = join(w.dir, "restore-as-b");
    expect(cli(w, ["restore", "--stack", STACK, "--target", own], envOf("s3", "b")).code).toBe(0);
    expect(readFileSync(join(own, settings), "utf8")).toBe(`{"host":"b","n":1}`);
    const other = join(w.dir, "restore-b-from-a");
    expect(cli(w, ["restore", "--stack", STACK, "--host", "b", "--target", other], envOf("s3", "a")).code).toBe(0);
    expect(readFileSync(join(other, settings), "utf8")).toBe(`{"host":"b","n":1}`);

    // Retention run by host a: its group shrinks to KEEP_LAST=3, host b's snapshots all stay.
    // Only KEEP_LAST: the documented defaults (KEEP_DAILY=7 …) would also keep the group's oldest
    // snapshot while their buckets are not filled (restic >= 0.17), and all four would stay.
    const objectsBefore = snapshotObjects();
    const lastOnly = Object.fromEntries(
      ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"].map((k) => [`BACKUP_TUI_LOCAL_BACKUP_KEEP_${k}`, "0"]),
    );
    const forget = cli(w, ["forget", "--stack", STACK, "--prune", "--yes"], { ...envOf("s3", "a"), ...lastOnly });
    expect(forget.code, forget.stderr).toBe(0);
    const after = resticJson<Array<{ id: string; hostname: string }>>("s3", [
      "snapshots",
      "--tag",
      `stack:${STACK},kind:stack`,
    ]);
    const ids = (host: string) =>
      after
        .filter((s) => s.hostname === host)
        .map((s) => s.id)
        .sort();
    expect(ids("b")).toEqual(fromB.map((s) => s.id).sort());
    expect(ids("a")).toHaveLength(3);
    expect(fromA.map((s) => s.id)).toEqual(expect.arrayContaining(ids("a")));
    // Deleted on the server (the forgotten snapshot's object is gone from the bucket) and still sound.
    expect(snapshotObjects()).toEqual(after.map((s) => s.id).sort());
    expect(snapshotObjects()).toHaveLength(objectsBefore.length - 1);
    const check = cli(w, ["verify", "--level", "data"], envOf("s3", "a"));
    expect(check.code, check.stderr + check.stdout).toBe(0);
  });
});
