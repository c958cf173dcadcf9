import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { freePort, rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// Several sync targets at once, on real servers: [cloud_sync] mirrors to `rclone serve sftp`,
// [cloud_sync:vault] appends to a local path (rclone copy --immutable), [cloud_sync:dead] points
// at a port nobody listens on. Each target is synced in turn; a failing one stops no other.

const MiB = 1024 * 1024;

interface TargetResult {
  target: string;
  mode: string;
  exitCode: number;
  error?: string;
  remoteSnapshots: number;
  transfer?: { copied: number; deleted: number };
  verified?: { ok: boolean; differences: string[] };
  runId?: number;
}
interface SyncResult extends TargetResult {
  targets: TargetResult[];
}

function resultOf(stdout: string): SyncResult {
  const found = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type?: string })
    .find((o) => o.type === "sync");
  if (!found) throw new Error(`no sync result in:\n${stdout.slice(-2000)}`);
  return found as SyncResult;
}

describe("sync targets: mirror, append and a dead one, in one sync", () => {
  let w: TestWorld;
  let stackDir: string;
  let mountpoint: string;
  let sftp: RcloneServer;
  let vault: string;
  let env: NodeJS.ProcessEnv;

  const resticAt = (repo: string, args: string[]) =>
    execFileSync("restic", ["-r", repo, ...args], {
      env: { ...process.env, RESTIC_PASSWORD_FILE: w.passwordFile, RESTIC_PASSWORD: undefined },
      encoding: "utf8",
      maxBuffer: 64 * MiB,
    });
  const snapshotCount = (repo: string) =>
    (JSON.parse(resticAt(repo, ["snapshots", "--json", "--no-lock"])) as unknown[]).length;
  const rclone = (args: string[]) =>
    execFileSync("rclone", ["--config", "/dev/null", ...args], {
      env: { ...process.env, ...env },
      encoding: "utf8",
      stdio: "pipe",
    });
  const sync = (args: string[] = []) => cli(w, ["sync", "--json", ...args], env);

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    sftp = await rcloneServe("sftp", {
      dir: join(w.dir, "srv-sftp"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: "sftp-pass-4711",
    });
    const deadPort = await freePort();
    vault = join(w.dir, "vault");
    appendFileSync(
      w.configFile,
      [
        "[cloud_sync]",
        "RCLONE_REMOTE=sftpr",
        "RCLONE_PATH=mirror/h1",
        "RETRIES=1",
        "[cloud_sync:vault]",
        "MODE=append",
        "RCLONE_REMOTE=localr",
        `RCLONE_PATH=${vault}`,
        "[cloud_sync:dead]",
        "RCLONE_REMOTE=deadr",
        "RCLONE_PATH=h1",
        "",
      ].join("\n"),
    );
    env = {
      ...remoteEnv("sftpr", sftp),
      ...remoteEnv("localr", "local"),
      ...remoteEnv("deadr", sftp),
      RCLONE_CONFIG_DEADR_PORT: String(deadPort),
      BACKUP_TUI_RETRY_BASE_MS: "100",
    };
    restic(w, ["init", "-q"]);
    stackDir = writeStack(w.stacksDir, "tgt", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(stackDir);
    mountpoint = volumeMountpoint("tgt_data");
    writeFileSync(join(mountpoint, "blob.bin"), randomBytes(2 * MiB));
    expect(cli(w, ["backup", "tgt"]).code).toBe(0);
  });
  afterAll(async () => {
    await stopAllServers();
    if (stackDir) composeDown(stackDir);
    w?.cleanup();
  });

  it("one sync writes every target in config order; the dead one fails (exit 1, named) and the others are complete", () => {
    const r = sync();
    expect(r.code, r.stderr).toBe(1);
    const res = resultOf(r.stdout);
    expect(res.targets.map((t) => [t.target, t.mode, t.exitCode === 0])).toEqual([
      ["default", "mirror", true],
      ["vault", "append", true],
      ["dead", "mirror", false],
    ]);
    expect(res.targets[2].error).toMatch(/connection refused|could not reach/);
    // The first target's fields stay at the top, as scripts written for one target read them.
    expect(res.target).toBe("default");
    expect(res.targets[0].verified?.ok).toBe(true);
    expect(res.targets[1].verified?.ok).toBe(true);
    expect(r.stderr).toMatch(/"message":"dead: rclone could not reach the remote/);
    const text = cli(w, ["sync", "--to", "dead"], env);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain("error: rclone could not reach the remote (connection refused)");
    // Each copy is a sound repository with the snapshot.
    expect(snapshotCount(vault)).toBe(1);
    const mirror = join(sftp.dir, "mirror", "h1");
    expect(snapshotCount(mirror)).toBe(1);
    // One run per target in the history, each with its target.
    const h = cli(w, ["history", "--json", "--kind", "sync"], env);
    expect(h.stdout).toContain('"stack":"vault"');
    expect(h.stdout).toContain('"stack":"dead"');
  });

  it("sync --to NAME writes only that target; an unknown name is exit 2 listing the targets", () => {
    const r = sync(["--to", "vault"]);
    expect(r.code, r.stderr).toBe(0);
    const res = resultOf(r.stdout);
    expect(res.targets.map((t) => t.target)).toEqual(["vault"]);
    expect(res.transfer?.copied).toBe(0);
    const bad = cli(w, ["sync", "--to", "nope"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no sync target is named "nope"');
    expect(bad.stderr).toContain("default (sftpr:mirror/h1), vault (localr:");
  });

  it("after a local forget and prune, the mirror loses the snapshot and the append target keeps it, still a sound repository", () => {
    writeFileSync(join(mountpoint, "blob.bin"), randomBytes(2 * MiB));
    expect(cli(w, ["backup", "tgt"]).code).toBe(0);
    const ids = (JSON.parse(resticAt(w.repo, ["snapshots", "--json", "--no-lock"])) as Array<{ id: string }>).map(
      (s) => s.id,
    );
    expect(ids).toHaveLength(2);
    expect(sync(["--to", "default"]).code).toBe(0);
    resticAt(w.repo, ["forget", "--prune", ids[0]]);
    const r = sync(["--to", "default"]);
    expect(r.code, r.stderr).toBe(0);
    expect(resultOf(r.stdout).transfer?.deleted).toBeGreaterThan(0); // 1 of 2 removed: within MAX_DELETE_PERCENT
    expect(snapshotCount(join(sftp.dir, "mirror", "h1"))).toBe(1);
    const v = sync(["--to", "vault"]);
    expect(v.code, v.stderr).toBe(0);
    expect(resultOf(v.stdout).transfer?.deleted).toBe(0);
    expect(snapshotCount(vault)).toBe(2);
    expect(() => resticAt(vault, ["check", "--no-lock"])).not.toThrow();
  });

  it("a file of the append target rewritten behind our back: the sync refuses to overwrite it (exit 1), nothing deleted", () => {
    const packsDir = join(vault, "data");
    // A pack the local repository still has: rclone compares only what both sides hold.
    const localPacks = join(w.repo, "data");
    const sub = readdirSync(localPacks).find((d) => readdirSync(join(localPacks, d)).length > 0)!;
    const pack = join(packsDir, sub, readdirSync(join(localPacks, sub))[0]);
    const original = readFileSync(pack);
    const damaged = Buffer.from(original);
    damaged[10] ^= 0xff;
    writeFileSync(pack, damaged);
    const before = rclone(["lsf", "-R", vault]).split("\n").length;
    const r = sync(["--to", "vault"]);
    expect(r.code).toBe(1);
    const res = resultOf(r.stdout).targets[0];
    expect(res.exitCode).toBe(1);
    expect(rclone(["lsf", "-R", vault]).split("\n").length).toBe(before);
    expect(readFileSync(pack).equals(damaged)).toBe(true);
    writeFileSync(pack, original);
  });

  it("verify --remote and forget --remote on the append copy; the host then sees the loss (tamper alarm, exit 1, status) until --accept-loss", () => {
    expect(cli(w, ["verify", "--remote", "vault"], env).code).toBe(0);
    // The trusted machine: its own config naming only that copy (no Docker stacks, no local
    // repository of its own), its own state, a policy that keeps one.
    const laptop = join(w.dir, "laptop");
    mkdirSync(laptop);
    writeFileSync(
      join(laptop, "config.ini"),
      [
        "[docker]",
        `DOCKER_STACKS_DIR=${join(laptop, "none")}`,
        "[local_backup]",
        `RESTIC_REPOSITORY=${join(laptop, "unused-repo")}`,
        `RESTIC_PASSWORD_FILE=${w.passwordFile}`,
        // Only the last: restic (0.17+) also keeps the oldest snapshot of a daily/weekly/... bucket not yet full.
        "KEEP_LAST=1",
        "KEEP_DAILY=0",
        "KEEP_WEEKLY=0",
        "KEEP_MONTHLY=0",
        "KEEP_YEARLY=0",
        "[cloud_sync:vault]",
        "MODE=append",
        "RCLONE_REMOTE=localr",
        `RCLONE_PATH=${vault}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const trusted = {
      env: { ...w.env, BACKUP_TUI_CONFIG: join(laptop, "config.ini"), BACKUP_TUI_STATE_DIR: join(laptop, "state") },
    };
    const dry = cli(trusted, ["forget", "--remote", "vault", "--dry-run", "--json"], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(snapshotCount(vault)).toBe(2);
    const f = cli(trusted, ["forget", "--remote", "vault", "--prune", "--yes"], env);
    expect(f.code, f.stderr).toBe(0);
    expect(snapshotCount(vault), f.stdout + f.stderr).toBe(1);
    expect(() => resticAt(vault, ["check", "--no-lock"])).not.toThrow();
    // This host did not forget that snapshot: its next sync to vault refuses and says so.
    const r = sync(["--to", "vault"]);
    expect(r.code).toBe(1);
    const res = resultOf(r.stdout).targets[0] as TargetResult & { tamper?: { message: string } };
    expect(res.tamper?.message).toMatch(/^the copy at vault lost 1 snapshot you did not forget/);
    const st = cli(w, ["status"], env);
    expect(st.code).toBe(1);
    expect(st.stdout + st.stderr).toContain("TAMPER ALARM");
    const ok = cli(w, ["sync", "--to", "vault", "--accept-loss", "--yes"], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(sync(["--to", "vault"]).code).toBe(0);
  });
});
