import { afterEach, describe, expect, it } from "vitest";
import { BusyError, ExitCode } from "../../../src/errors";
import { acquireRepoLock } from "../../../src/state/lock";
import { recoverJob } from "../../../src/usecases/recover";
import { container, fakeDocker, testContext, type TestContext } from "../../helpers/fakes";
import { deadRunEntry } from "../../helpers/dead-run";

describe("the recover job", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const hooks = () => ({ emit: () => undefined, signal: new AbortController().signal });

  it("Given a dead run left web-1 stopped, When recover runs, Then it is started again and the exit code is 0", async () => {
    tc = testContext({
      docker: fakeDocker({ containers: [container({ name: "web-1", project: "web", status: "exited" })] }),
    });
    tc.ctx.journal.write(deadRunEntry("web", "web-1"));
    const r = await recoverJob(tc.ctx, hooks());
    expect(r).toMatchObject({ recovered: ["web-1"], exitCode: ExitCode.ok });
    expect(tc.docker.get("web-1")?.status).toBe("running");
  });

  it("Given the repository lock is held, When recover runs, Then it is refused as busy and the container stays as it is", async () => {
    tc = testContext({
      docker: fakeDocker({ containers: [container({ name: "web-1", project: "web", status: "exited" })] }),
    });
    tc.ctx.journal.write(deadRunEntry("web", "web-1"));
    const lock = await acquireRepoLock({
      stateDir: tc.stateDir,
      repository: tc.ctx.config.restic.repository,
      owner: tc.ctx.owner,
    });
    try {
      await expect(recoverJob(tc.ctx, hooks())).rejects.toBeInstanceOf(BusyError);
      expect(tc.docker.calls).toEqual([]);
    } finally {
      await lock.release();
    }
  });
});
