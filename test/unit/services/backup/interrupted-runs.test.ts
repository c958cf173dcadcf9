import { afterEach, describe, expect, it } from "vitest";
import { ExitCode, abortExitCode } from "../../../../src/errors";
import { runBackup } from "../../../../src/services/backup/backup";
import { container, fakeDocker, fakeRestic, fakeStack, testContext, type TestContext } from "../../../helpers/fakes";

describe("an interrupted backup is recorded as interrupted, with its signal's exit code", () => {
  let tc: TestContext | undefined;
  afterEach(() => {
    tc?.cleanup();
    tc = undefined;
  });

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    it(`Given ${signal} during the final pass, When the run ends, Then the run and the stack are interrupted with exit ${code}, in the report and the history`, async () => {
      const ac = new AbortController();
      const web = container({ name: "app-web-1", service: "web" });
      const t = (tc = testContext({
        docker: fakeDocker({ containers: [web] }),
        restic: fakeRestic({
          failOn: "final",
          failWith: new Error("restic was stopped"),
          onBackup: (req) => void (req.tags.includes("kind:stack") && ac.abort(signal)),
        }),
      }));

      const report = await runBackup(
        t.ctx,
        { stacks: [fakeStack("app", [web])], trigger: "manual", parallel: 1, signal: ac.signal },
        () => undefined,
      );

      expect(report).toMatchObject({ status: "interrupted", exitCode: code });
      expect(report.outcomes[0].status).toBe("interrupted");
      expect(t.ctx.store.runs({ limit: 1 })[0]).toMatchObject({ status: "interrupted", exitCode: code });
      expect(t.ctx.store.stackResults(report.runId)[0].status).toBe("interrupted");
      expect(t.ctx.store.lastBackups().get("app")?.lastGood).toBeUndefined();
      expect(t.docker.get("app-web-1")?.status).toBe("running");
    });
  }

  it("Given an abort without a signal name (the TUI), When its exit code is asked, Then it is 130 as for Ctrl-C", () => {
    const ac = new AbortController();
    ac.abort();
    expect(abortExitCode(ac.signal)).toBe(ExitCode.sigint);
  });
});
