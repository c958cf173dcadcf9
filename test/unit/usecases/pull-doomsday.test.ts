import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AppError, BusyError } from "../../../src/errors";
import { acquireRepoLock } from "../../../src/state/lock";
import { doomsdayJob } from "../../../src/usecases/doomsday";
import { pullJob } from "../../../src/usecases/pull";
import { testContext, type TestContext } from "../../helpers/fakes";

describe("the pull and doomsday jobs", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const hooks = (signal = new AbortController().signal) => ({ emit: () => undefined, signal });
  const holdLock = (repository: string) => acquireRepoLock({ stateDir: tc.stateDir, repository, owner: tc.ctx.owner });

  it("Given a pull into another directory, When that directory's lock is held, Then it is busy; the configured repository's lock does not stop it", async () => {
    tc = testContext();
    const target = join(tc.dir, "pulled");
    const lock = await holdLock(target);
    try {
      await expect(pullJob(tc.ctx, { path: target }, hooks())).rejects.toBeInstanceOf(BusyError);
    } finally {
      await lock.release();
    }
    const other = await holdLock(tc.ctx.config.restic.repository);
    try {
      // Past the lock it needs a cloud remote, which this context has not.
      const r = pullJob(tc.ctx, { path: target }, hooks());
      await expect(r).rejects.toBeInstanceOf(AppError);
      await expect(r).rejects.not.toBeInstanceOf(BusyError);
      await expect(r).rejects.toThrow("no cloud remote is configured");
    } finally {
      await other.release();
    }
  });

  it("Given the repository lock is held, When the doomsday backup starts, Then it is refused as busy", async () => {
    tc = testContext();
    const lock = await holdLock(tc.ctx.config.restic.repository);
    try {
      await expect(doomsdayJob(tc.ctx, { stacks: [], parallel: 1, trigger: "manual" }, hooks())).rejects.toBeInstanceOf(
        BusyError,
      );
    } finally {
      await lock.release();
    }
  });

  it("Given a run already stopped (SIGTERM), When the doomsday job runs, Then no doomsday snapshot is written", async () => {
    tc = testContext();
    const stop = new AbortController();
    stop.abort(new Error("SIGTERM"));
    const r = await doomsdayJob(tc.ctx, { stacks: [], parallel: 1, trigger: "manual" }, hooks(stop.signal));
    expect(r.doom).toBeUndefined();
    expect(tc.restic.calls.some((c) => c.startsWith("backup "))).toBe(false);
    expect(tc.ctx.store.recentRuns(5, "backup")).toEqual([]);
  });
});
