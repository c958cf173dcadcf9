import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireRepoLock, LockLostError, lockPaths, type RepoLock } from "../../../src/state/lock";
import { currentOwner } from "../../../src/state/process-info";

const REPO = "/mnt/backup/lost-repo";
let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "lock-lost-"));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

async function hold(): Promise<{ lock: RepoLock; lost: Promise<LockLostError> }> {
  let report!: (e: LockLostError) => void;
  const lost = new Promise<LockLostError>((r) => (report = r));
  const lock = await acquireRepoLock({
    stateDir,
    repository: REPO,
    owner: currentOwner(hostname(), "backup-tui backup"),
    checkMs: 50,
    onLost: report,
  });
  return { lock, lost };
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`not within ${ms} ms`)), ms))]);

describe("a held lock that is removed or replaced", () => {
  it("Given a held lock, When its file is removed, Then the holder is told within a second, and release removes nothing", async () => {
    const { lock, lost } = await hold();
    const file = lockPaths(stateDir, REPO).info;
    unlinkSync(file);
    const err = await within(lost, 1000);
    expect(err).toBeInstanceOf(LockLostError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain("its file was removed");
    expect(err.message).toContain("the run was stopped as on SIGTERM");
    expect(lock.lost()).toBe(err);
    await lock.release();
  });

  it("Given a held lock, When another owner's file is renamed over it, Then the holder is told who holds it now, and release leaves that file alone", async () => {
    const { lock, lost } = await hold();
    const file = lockPaths(stateDir, REPO).info;
    const other = JSON.stringify({
      pid: 4242,
      host: "elsewhere",
      startedAt: "2026-01-01T00:00:00Z",
      command: "backup-tui sync",
      token: "x",
    });
    writeFileSync(`${file}.new`, other);
    renameSync(`${file}.new`, file);
    const err = await within(lost, 1000);
    expect(err.message).toContain("now held by pid 4242 on elsewhere");
    await lock.release();
    expect(readFileSync(file, "utf8")).toBe(other);
  });

  it("Given a held lock left alone, When it is released, Then no loss is reported", async () => {
    const { lock, lost } = await hold();
    await new Promise((r) => setTimeout(r, 200));
    await lock.release();
    expect(lock.lost()).toBeUndefined();
    await expect(within(lost, 200)).rejects.toThrow(/not within/);
  });
});
