import { afterEach, describe, expect, it } from "vitest";
import { AppError, BusyError, ExitCode } from "../../../src/errors";
import { refreshCatalog } from "../../../src/services/snapshots/catalog";
import { acquireRepoLock } from "../../../src/state/lock";
import { Secret } from "../../../src/exec/redact";
import { checkConfirmPassword } from "../../../src/security/confirm";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import {
  CONFIGURED_POLICY,
  cancelDeletions,
  deleteAction,
  deleteJob,
  forgetAction,
  forgetJob,
  protectJob,
  pruneJob,
  retentionStacks,
  snapshotsToDelete,
} from "../../../src/usecases/retention";
import { fakeRestic, snapshot, testContext, withTag, type TestContext } from "../../helpers/fakes";

const SNAPS = [
  snapshot({ id: "aaaa1111", time: "2026-01-01T00:00:00Z", tags: ["kind:stack", "stack:web"] }),
  snapshot({ id: "bbbb2222", time: "2026-01-02T00:00:00Z", tags: ["kind:stack", "stack:db", "protected"] }),
  snapshot({ id: "cccc3333", time: "2026-01-03T00:00:00Z", tags: ["kind:stack", "stack:web"] }),
];

describe("the retention jobs (forget, prune, delete, protect)", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const hooks = () => ({ signal: new AbortController().signal });
  /** No confirmation password is set: a yes (any password, or none) confirms. */
  const yes = { password: undefined };
  const holdLock = () =>
    acquireRepoLock({ stateDir: tc.stateDir, repository: tc.ctx.config.restic.repository, owner: tc.ctx.owner });

  it("Given a catalog of two stacks, When the stacks retention covers are asked for, Then both are named once, sorted; a named one alone", async () => {
    tc = testContext({ restic: fakeRestic({ snapshots: SNAPS }) });
    expect(await retentionStacks(tc.ctx, undefined, hooks().signal)).toEqual(["db", "web"]);
    expect(await retentionStacks(tc.ctx, "web", hooks().signal)).toEqual(["web"]);
  });

  it("Given a dry run, When forget runs, Then restic forgets with --dry-run, nothing is pruned and no run is recorded", async () => {
    tc = testContext({ restic: fakeRestic({ snapshots: SNAPS }) });
    const r = await forgetJob(tc.ctx, { stacks: ["web"], dryRun: true, prune: true }, hooks());
    expect(r).toMatchObject({ dryRun: true, exitCode: ExitCode.ok });
    expect(tc.restic.forgets.every((f) => f.dryRun)).toBe(true);
    expect(tc.restic.calls).not.toContain("prune");
    expect(tc.ctx.store.recentRuns(1, "prune")).toEqual([]);
  });

  it("Given forget for real, When it ends, Then the run is recorded and the catalog refreshed from the repository", async () => {
    tc = testContext({ restic: fakeRestic({ snapshots: SNAPS }) });
    await forgetJob(tc.ctx, { stacks: ["web"], confirmation: yes }, hooks());
    expect(tc.ctx.store.recentRuns(1, "prune")[0]?.status).toBe("succeeded");
    expect(tc.restic.calls.at(-1)).toBe("snapshots");
    expect(tc.ctx.store.catalog.count()).toBe(3);
  });

  it("Given the repository lock is held, When forget, prune, delete or protect start, Then each is refused as busy and restic is not called", async () => {
    tc = testContext({ restic: withTag(fakeRestic({ snapshots: SNAPS })) });
    await refreshCatalog(tc.ctx);
    const [web] = await snapshotsToDelete(tc.ctx, ["aaaa1111"], hooks().signal);
    tc.restic.calls.length = 0;
    const lock = await holdLock();
    try {
      await expect(forgetJob(tc.ctx, { stacks: ["web"], confirmation: yes }, hooks())).rejects.toBeInstanceOf(
        BusyError,
      );
      await expect(pruneJob(tc.ctx, { confirmation: yes }, hooks())).rejects.toBeInstanceOf(BusyError);
      await expect(deleteJob(tc.ctx, { snapshots: [web], confirmation: yes }, hooks())).rejects.toBeInstanceOf(
        BusyError,
      );
      await expect(protectJob(tc.ctx, { snapshot: web, protect: true }, hooks())).rejects.toBeInstanceOf(BusyError);
      expect(tc.restic.calls).toEqual([]);
    } finally {
      await lock.release();
    }
  });

  it("Given a protected snapshot, When delete is asked for it by reference or handed it directly, Then both refuse and nothing is forgotten", async () => {
    tc = testContext({ restic: fakeRestic({ snapshots: SNAPS }) });
    await refreshCatalog(tc.ctx);
    await expect(snapshotsToDelete(tc.ctx, ["aaaa1111", "bbbb2222"], hooks().signal)).rejects.toThrow(
      "bbbb2222 is protected",
    );
    const db = tc.ctx.store.catalog.list({}).find((s) => s.id === "bbbb2222")!;
    const refused = deleteJob(tc.ctx, { snapshots: [db], confirmation: yes }, hooks());
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ exitCode: ExitCode.usage });
    expect(tc.restic.forgets).toEqual([]);
  });

  it("Given an unprotected snapshot, When delete runs, Then restic forgets exactly it and the catalog is refreshed", async () => {
    tc = testContext({ restic: fakeRestic({ snapshots: SNAPS }) });
    await refreshCatalog(tc.ctx);
    const snaps = await snapshotsToDelete(tc.ctx, ["aaaa1111"], hooks().signal);
    tc.restic.calls.length = 0;
    expect(await deleteJob(tc.ctx, { snapshots: snaps, prune: true, confirmation: yes }, hooks())).toEqual({
      ids: ["aaaa1111"],
      pruned: true,
    });
    expect(tc.restic.forgets[0]).toMatchObject({ ids: ["aaaa1111"], prune: true });
    expect(tc.restic.calls).toEqual(["forget", "snapshots"]);
    expect(tc.ctx.store.targets.forgotten()).toEqual(new Set(["aaaa1111"]));
  });

  it("Given a confirmation hash, When forget, prune or delete come with no confirmation, a wrong password, a forged token or one for another action, Then each is refused before restic is called; the scheduled policy alone passes for forget", async () => {
    tc = testContext({ restic: fakeRestic({ snapshots: SNAPS }) });
    tc.ctx.config.security.confirmPasswordHash = new Secret(hashConfirmPassword("s3cret"));
    await refreshCatalog(tc.ctx);
    const [web] = await snapshotsToDelete(tc.ctx, ["aaaa1111"], hooks().signal);
    const [other] = await snapshotsToDelete(tc.ctx, ["cccc3333"], hooks().signal);
    const forOther = checkConfirmPassword(tc.ctx, deleteAction([other]), "s3cret")!;
    tc.restic.calls.length = 0;
    const refusals = [
      forgetJob(tc.ctx, { stacks: ["web"] }, hooks()),
      forgetJob(tc.ctx, { stacks: ["web"], confirmation: { password: "wrong" } }, hooks()),
      forgetJob(tc.ctx, { stacks: ["web"], confirmation: { action: forgetAction(["web"]), guarded: true } }, hooks()),
      pruneJob(tc.ctx, {}, hooks()),
      pruneJob(tc.ctx, { confirmation: { password: undefined } }, hooks()),
      pruneJob(tc.ctx, { confirmation: forOther }, hooks()),
      deleteJob(tc.ctx, { snapshots: [web] }, hooks()),
      deleteJob(tc.ctx, { snapshots: [web], confirmation: forOther }, hooks()),
    ];
    for (const refused of refusals) await expect(refused).rejects.toMatchObject({ exitCode: ExitCode.usage });
    expect(tc.restic.calls).toEqual([]);
    await forgetJob(tc.ctx, { stacks: ["web"], confirmation: CONFIGURED_POLICY }, hooks());
    await deleteJob(tc.ctx, { snapshots: [web], confirmation: { password: "s3cret" } }, hooks());
    expect(tc.restic.forgets.map((f) => f.ids ?? "policy")).toEqual(["policy", ["aaaa1111"]]);
  });

  it("Given a snapshot, When it is protected and unprotected, Then restic tags it each way and the catalog is read again", async () => {
    tc = testContext({ restic: withTag(fakeRestic({ snapshots: SNAPS })) });
    await refreshCatalog(tc.ctx);
    const web = tc.ctx.store.catalog.list({}).find((s) => s.id === "aaaa1111")!;
    tc.restic.calls.length = 0;
    const on = await protectJob(tc.ctx, { snapshot: web, protect: true }, hooks());
    await protectJob(tc.ctx, { snapshot: web, protect: false }, hooks());
    expect(tc.restic.calls).toEqual(["tag aaaa1111 +protected", "snapshots", "tag aaaa1111 -protected", "snapshots"]);
    expect(on).toMatchObject({ protected: true, was: { id: "aaaa1111" }, now: { id: "aaaa1111" } });
    // Not rewritten (the same id is still there): nothing forgotten.
    expect(tc.ctx.store.targets.forgotten()).toEqual(new Set());
  });

  it("Given restic rewriting a snapshot as it tags it, When it is protected, Then its old id is remembered as forgotten here", async () => {
    const snaps = [...SNAPS];
    const restic = Object.assign(fakeRestic({ snapshots: snaps }), {
      tag: async (ids: string[]) => {
        const i = snaps.findIndex((s) => s.id === ids[0]);
        snaps[i] = { ...snaps[i], id: "dddd4444", short_id: "dddd4444", tags: [...(snaps[i].tags ?? []), "protected"] };
      },
    });
    tc = testContext({ restic });
    await refreshCatalog(tc.ctx);
    const web = tc.ctx.store.catalog.list({}).find((s) => s.id === "aaaa1111")!;
    const on = await protectJob(tc.ctx, { snapshot: web, protect: true }, hooks());
    expect(on.now?.id).toBe("dddd4444");
    expect(tc.ctx.store.targets.forgotten()).toEqual(new Set(["aaaa1111"]));
  });

  it("Given no pending deletions, When they are cancelled, Then nothing was pending and none is left", () => {
    tc = testContext();
    expect(cancelDeletions(tc.ctx, [])).toEqual({ before: 0, cancelled: 0, left: 0 });
  });
});
