import { existsSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { lockPaths } from "../../../src/state/lock";
import { ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { alive, hangingFake, killHard, start } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, writeStack } from "../../helpers/stacks";

const FAKE = join(ROOT, "test", "helpers", "fake-restic.sh");

describe("a run whose repository lock is removed or replaced under it stops as on SIGTERM", () => {
  let w: TestWorld;
  let marker: string;
  let dir: string;
  const fakes: number[] = [];
  const lockFile = () => lockPaths(w.stateDir, w.repo).info;

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    marker = join(w.dir, "fake.pid");
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "locklost", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
  });
  afterEach(() => {
    for (const pid of fakes.splice(0)) killHard(pid);
    rmSync(marker, { force: true });
    rmSync(lockFile(), { force: true });
  });
  afterAll(() => {
    composeDown(dir);
    w.cleanup();
  });

  /** A backup with its container stopped and restic hanging, holding the lock. */
  async function stoppedBackup() {
    const run = start(["backup", "locklost"], {
      ...w.env,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
      FAKE_RESTIC_HANG_ON: "kind:stack",
      FAKE_RESTIC_MARKER: marker,
    });
    const fake = await hangingFake(marker);
    fakes.push(fake);
    expect(containerStates("locklost")).toEqual({ "locklost-app-1": "exited" });
    expect(JSON.parse(readFileSync(lockFile(), "utf8")).pid).toBe(run.child.pid);
    return { run, fake };
  }

  it("Given a backup holding the lock with its container stopped, When the lock file is removed, Then it stops restic, starts the container again and exits 1 saying the lock was lost", async () => {
    const { run, fake } = await stoppedBackup();
    const t0 = Date.now();
    unlinkSync(lockFile());
    const end = await run.done;
    expect(end.code, end.stderr).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(end.stderr).toContain("error: the repository lock was lost while this run held it");
    expect(end.stderr).toContain("its file was removed");
    expect(end.stderr).not.toContain("internal error");
    expect(containerStates("locklost")).toEqual({ "locklost-app-1": "running" });
    expect(alive(fake)).toBe(false);
    expect(existsSync(lockFile())).toBe(false);
  });

  it("Given a backup holding the lock with its container stopped, When another owner's lock file is renamed over it, Then it stops the same way and leaves the new holder's file alone", async () => {
    const { run } = await stoppedBackup();
    const other = JSON.stringify({
      pid: 1,
      host: "another-host",
      startedAt: new Date().toISOString(),
      command: "backup-tui sync",
      token: "t",
    });
    writeFileSync(`${lockFile()}.new`, other);
    renameSync(`${lockFile()}.new`, lockFile());
    const end = await run.done;
    expect(end.code, end.stderr).toBe(1);
    expect(end.stderr).toContain("now held by pid 1 on another-host (`backup-tui sync`)");
    expect(containerStates("locklost")).toEqual({ "locklost-app-1": "running" });
    expect(readFileSync(lockFile(), "utf8")).toBe(other);
  });
});
