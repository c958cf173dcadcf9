import { unlinkSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../../../src/errors";
import { withRunLock } from "../../../../src/services/run/repository-lock";
import { LockLostError, lockPaths } from "../../../../src/state/lock";
import { testContext, type TestContext } from "../../../helpers/fakes";

describe("a run whose repository lock is lost while it runs", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());

  /** Runs fn under the lock, removes the lock file, and finishes once the run's signal says it was lost. */
  const runLosingLock = (result: { exitCode: number }) =>
    withRunLock(tc.ctx, new AbortController().signal, {}, async (signal) => {
      unlinkSync(lockPaths(tc.stateDir, tc.ctx.config.restic.repository).info);
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      return result;
    });

  it("Given a run that finished with a service down after its lock was removed, When it ends, Then LockLostError carries exit 4 and the finished report", async () => {
    tc = testContext();
    const report = { exitCode: ExitCode.serviceDown, failed: ["web"] };
    const err = await runLosingLock(report).catch((e) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect(err.exitCode).toBe(ExitCode.serviceDown);
    expect(err.result).toBe(report);
  });

  it("Given a run that finished cleanly after its lock was removed, When it ends, Then LockLostError exits 1 and still carries the report", async () => {
    tc = testContext();
    const err = await runLosingLock({ exitCode: ExitCode.ok }).catch((e) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect(err.exitCode).toBe(ExitCode.failed);
    expect(err.result).toEqual({ exitCode: ExitCode.ok });
  });
});
