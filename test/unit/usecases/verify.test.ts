import { afterEach, describe, expect, it } from "vitest";
import { BusyError } from "../../../src/errors";
import type { ServiceEvent } from "../../../src/services/run/events";
import { acquireRepoLock } from "../../../src/state/lock";
import { createBackend } from "../../../src/tui/backend";
import { verifySummary } from "../../../src/tui/summaries";
import { verifyJob, verifyLevel } from "../../../src/usecases/verify";
import { fakeRestic, testContext, type TestContext } from "../../helpers/fakes";

describe("the verify job", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const hooks = () => ({ emit: (_e: ServiceEvent) => undefined, signal: new AbortController().signal });

  it("Given no level asked for, When the level is chosen, Then it is VERIFICATION_DEPTH; an asked level wins", () => {
    tc = testContext({ config: { verification: { depth: "data" } } });
    expect(verifyLevel(tc.ctx.config)).toBe("data");
    expect(verifyLevel(tc.ctx.config, "metadata")).toBe("metadata");
  });

  it("Given VERIFICATION_DEPTH subset, When the TUI verifies, Then it reads VERIFICATION_SUBSET and its summary names the level and the part", async () => {
    tc = testContext({ config: { verification: { depth: "subset", subset: "7%" } } });
    const r = await createBackend(tc.ctx).verify(new AbortController().signal, () => undefined);
    expect(r).toMatchObject({ ok: true, level: "subset", part: "7%", target: "/srv/restic-repo" });
    expect(verifySummary(r).summary[0]).toBe(`run #${r.runId}: verified /srv/restic-repo: subset 7% OK`);
    expect(tc.ctx.store.recentRuns(1, "verify")[0]).toMatchObject({ id: r.runId, status: "succeeded" });
  });

  it("Given a damaged repository, When the verify runs, Then the report fails with restic's detail and the run is recorded failed", async () => {
    tc = testContext({ restic: fakeRestic({ checkOk: false }) });
    const r = await verifyJob(tc.ctx, { level: "metadata" }, hooks());
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("repository contains errors");
    expect(verifySummary(r).summary[0]).toBe(`run #${r.runId}: VERIFICATION FAILED for /srv/restic-repo (metadata):`);
    expect(tc.ctx.store.recentRuns(1, "verify")[0]?.status).toBe("failed");
  });

  it("Given the repository lock is held, When the local repository is verified, Then it is refused as busy; the cloud copy is verified without the lock", async () => {
    tc = testContext();
    tc.ctx.config.cloud = { ...tc.ctx.config.cloud, remote: "cloud", path: "backups/h" };
    tc.ctx.config.targets = [
      {
        name: "default",
        section: "cloud_sync",
        mode: "mirror",
        remote: "cloud",
        path: "backups/h",
        transfers: 4,
        keepDeletedDays: 7,
        maxDeletePercent: 50,
      },
    ];
    const lock = await acquireRepoLock({
      stateDir: tc.stateDir,
      repository: tc.ctx.config.restic.repository,
      owner: tc.ctx.owner,
    });
    try {
      await expect(verifyJob(tc.ctx, { level: "metadata" }, hooks())).rejects.toBeInstanceOf(BusyError);
      expect(tc.restic.calls).toEqual([]);
      const remote = await verifyJob(tc.ctx, { level: "metadata", remote: true }, hooks());
      expect(remote).toMatchObject({ ok: true, target: "rclone:cloud:backups/h" });
    } finally {
      await lock.release();
    }
  });
});
