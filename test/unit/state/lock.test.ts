import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BusyError } from "../../../src/errors";
import { acquireRepoLock, lockPaths, readOwner, type RepoLock } from "../../../src/state/lock";
import { currentOwner, processStartTime, type Owner } from "../../../src/state/process-info";
import { startRacer, type Racer } from "../../helpers/lock-racer";

const REPO = "/mnt/backup/restic-repo";
const HOST = hostname();
let stateDir: string;
const held: RepoLock[] = [];
const children: Racer[] = [];

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "lock-"));
});
afterEach(async () => {
  for (const l of held.splice(0)) await l.release();
  for (const c of children.splice(0)) c.child.kill("SIGKILL");
  rmSync(stateDir, { recursive: true, force: true });
});

async function take(repository = REPO, extra: { waitMs?: number; command?: string } = {}): Promise<RepoLock> {
  const lock = await acquireRepoLock({
    stateDir,
    repository,
    owner: currentOwner(HOST, extra.command ?? "backup-tui backup"),
    waitMs: extra.waitMs,
  });
  held.push(lock);
  return lock;
}

async function refusal(p: Promise<unknown>): Promise<BusyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BusyError);
  return err as BusyError;
}

/** A lock left behind by a holder that is no longer there: its owner file. */
function craftLock(owner: Owner, repository = REPO): void {
  const p = lockPaths(stateDir, repository);
  mkdirSync(join(stateDir, "locks"), { recursive: true });
  writeFileSync(p.info, JSON.stringify(owner));
}

function deadPid(): number {
  const r = spawnSync("true");
  expect(r.pid).toBeGreaterThan(0);
  return r.pid;
}

describe("acquireRepoLock", () => {
  it("Given a held lock, When a second job asks without waiting, Then it is refused busy (75) naming the holder's pid and command", async () => {
    await take(REPO, { command: "backup-tui backup web" });
    const err = await refusal(take(REPO, { command: "backup-tui sync" }));
    expect(err.exitCode).toBe(75);
    expect(err.message).toContain(`pid ${process.pid} on ${HOST}`);
    expect(err.message).toContain("backup-tui backup web");
    expect(err.hint).toContain("--wait");
  });

  it("Given a held lock, When a second job waits and the first releases, Then the second gets it", async () => {
    const first = await take();
    const started = Date.now();
    setTimeout(() => void first.release(), 300);
    const second = await take(REPO, { waitMs: 5000, command: "second" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(readOwner(stateDir, REPO)?.command).toBe("second");
    expect(second.owner.command).toBe("second");
  });

  it("Given a lock held longer than the wait, When a second job waits, Then it gives up busy with a 'did not finish in time' hint", async () => {
    await take();
    const started = Date.now();
    const err = await refusal(take(REPO, { waitMs: 400 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(err.hint).toContain("did not finish in time");
  });

  it("Given two different repositories, When both are locked, Then they do not conflict", async () => {
    await take("/mnt/a");
    await expect(take("s3:https://s3.example.com/bucket/b")).resolves.toBeDefined();
    expect(lockPaths(stateDir, "/mnt/a").info).not.toBe(lockPaths(stateDir, "s3:https://s3.example.com/bucket/b").info);
  });

  it("Given a released lock, When released, Then the owner file is gone and the lock can be taken again", async () => {
    const lock = await take();
    expect(readOwner(stateDir, REPO)?.pid).toBe(process.pid);
    await lock.release();
    expect(readOwner(stateDir, REPO)).toBeUndefined();
    expect(existsSync(lockPaths(stateDir, REPO).info)).toBe(false);
    expect(readdirSync(join(stateDir, "locks"))).toEqual([]);
    await expect(take()).resolves.toBeDefined();
  });

  it("Given a lock whose owner pid is dead on this host, When a job asks, Then it takes the lock over", async () => {
    craftLock({ pid: deadPid(), host: HOST, startedAt: "2020-01-01T00:00:00Z", command: "crashed run" });
    const lock = await take(REPO, { command: "new run" });
    expect(lock.owner.pid).toBe(process.pid);
    expect(readOwner(stateDir, REPO)?.command).toBe("new run");
  });

  it("Given a lock whose owner pid was reused by another process (start time differs), When a job asks, Then it takes the lock over", async () => {
    craftLock({ pid: process.pid, pidStart: "1", host: HOST, startedAt: "2020-01-01T00:00:00Z", command: "old run" });
    await expect(take()).resolves.toBeDefined();
  });

  it("Given a lock owned by a pid on another host, When a job asks, Then it is not taken over, even if that pid is free here", async () => {
    craftLock({ pid: deadPid(), host: `${HOST}-other`, startedAt: "2020-01-01T00:00:00Z", command: "remote run" });
    const err = await refusal(take());
    expect(err.message).toContain(`on ${HOST}-other`);
  });

  it("Given another node process holding the lock, When a job asks, Then it is refused; once that process is killed -9, the lock is taken over", async () => {
    const holder = await startRacer(stateDir, REPO);
    children.push(holder);
    expect(await holder.ask("go")).toBe("won");
    expect(processStartTime(holder.pid)).toBeDefined();

    const err = await refusal(take());
    expect(err.message).toContain(`pid ${holder.pid}`);
    expect(err.message).toContain(`racer ${holder.pid}`);

    holder.child.kill("SIGKILL");
    await holder.exited;
    expect(existsSync(lockPaths(stateDir, REPO).info)).toBe(true); // kill -9 leaves the lock behind
    const lock = await take();
    expect(lock.owner.pid).toBe(process.pid);
    expect(readOwner(stateDir, REPO)?.pid).toBe(process.pid);
  });

  it("Given an empty lock file (a crash before it reached the disk), When a job asks, Then it takes the lock over", async () => {
    mkdirSync(join(stateDir, "locks"), { recursive: true });
    writeFileSync(lockPaths(stateDir, REPO).info, "");
    await expect(take()).resolves.toBeDefined();
    expect(readOwner(stateDir, REPO)?.pid).toBe(process.pid);
  });

  it("Given a takeover guard left by a contender killed in the middle of a takeover, When a job asks, Then it still takes the dead holder's lock over", async () => {
    craftLock({ pid: deadPid(), host: HOST, startedAt: "2020-01-01T00:00:00Z", command: "crashed run" });
    const p = lockPaths(stateDir, REPO);
    // The guard of this generation of the lock (its inode and content), as the dead contender made it.
    const generation = createHash("sha256")
      .update(`${statSync(p.info, { bigint: true }).ino}\n${readFileSync(p.info, "utf8")}`)
      .digest("hex")
      .slice(0, 20);
    const guard = `${p.info}.takeover-${generation}`;
    writeFileSync(guard, JSON.stringify({ pid: deadPid(), host: HOST, startedAt: "x", command: "dead contender" }));
    await expect(take()).resolves.toBeDefined();
    expect(readOwner(stateDir, REPO)?.pid).toBe(process.pid);
    expect(existsSync(guard)).toBe(false);
  });
});
