import { afterEach, describe, expect, it } from "vitest";
import { AppError, ExitCode } from "../../../../src/errors";
import { applyRetention, assertPolicyKeepsSomething, policyFor } from "../../../../src/services/retention/retention";
import { fakeRestic, snapshot, testContext, type TestContext } from "../../../helpers/fakes";

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe("retention", () => {
  it("Given policies, When checked, Then one that keeps nothing is refused as a config error", () => {
    expect(() => assertPolicyKeepsSomething({}, "app")).toThrow("the retention policy for app keeps no snapshot");
    expect(() => assertPolicyKeepsSomething({ last: 0, daily: 0 }, "app")).toThrow(AppError);
    try {
      assertPolicyKeepsSomething({}, "app");
    } catch (e) {
      expect((e as AppError).exitCode).toBe(ExitCode.config);
    }
    expect(() => assertPolicyKeepsSomething({ within: "7d" }, "app")).not.toThrow();
    expect(() => assertPolicyKeepsSomething({ daily: 7 }, "app")).not.toThrow();
  });

  it("Given a stack policy, When retention applies, Then it forgets that stack's kind:stack snapshots by host with its own policy, keeping protected, and prunes once", async () => {
    const restic = fakeRestic({
      forgetGroups: (r) => [
        {
          keep: [],
          remove: r.tags?.includes("stack:app")
            ? [snapshot({ id: "old1", time: "2025-01-01T00:00:00Z", tags: [] })]
            : [],
        },
      ],
    });
    t = testContext({ restic, config: { stacks: { app: { keep: { daily: 14 } } } } });

    const res = await applyRetention(t.ctx, ["app", "blog"]);

    expect(restic.forgets.map((f) => [f.tags, f.keep])).toEqual([
      [["backup-tui", "stack:app", "kind:stack"], { daily: 14 }],
      [["backup-tui", "stack:blog", "kind:stack"], { last: 3 }],
    ]);
    expect(restic.forgets[0]).toMatchObject({ groupBy: "host", keepTags: ["protected"] });
    expect(res).toEqual([
      { stack: "app", kept: 0, removed: ["old1"] },
      { stack: "blog", kept: 0, removed: [] },
    ]);
    expect(restic.calls.filter((c) => c === "prune")).toHaveLength(1);
    expect(policyFor(t.ctx, "blog")).toEqual({ last: 3 });
    // Remembered as this host's own forget (the tamper alarm does not count it as lost at a target).
    expect(t.ctx.store.targets.forgotten()).toEqual(new Set(["old1"]));
  });

  it("Given restic failing to forget, When retention applies, Then it fails and no snapshot is remembered as forgotten", async () => {
    const restic = fakeRestic({ forgetError: new Error("repository is locked") });
    t = testContext({ restic });

    await expect(applyRetention(t.ctx, ["app"])).rejects.toThrow("repository is locked");

    expect(t.ctx.store.targets.forgotten()).toEqual(new Set());
  });

  it("Given a dry run or nothing removed, When retention applies, Then it does not prune", async () => {
    const restic = fakeRestic({
      forgetGroups: () => [{ keep: [], remove: [snapshot({ id: "x", time: "2025-01-01T00:00:00Z", tags: [] })] }],
    });
    t = testContext({ restic });

    await applyRetention(t.ctx, ["app"], { dryRun: true });

    expect(restic.forgets[0].dryRun).toBe(true);
    expect(restic.calls).not.toContain("prune");
    expect(t.ctx.store.targets.forgotten()).toEqual(new Set());
  });

  it("Given a volume, When retention applies, Then it forgets that volume's kind:volume snapshots, never its stack's", async () => {
    const restic = fakeRestic();
    t = testContext({ restic });

    await applyRetention(t.ctx, ["volume-data"], { volume: "data" });

    expect(restic.forgets[0].tags).toEqual(["backup-tui", "vol:data", "kind:volume"]);
    expect(restic.calls).not.toContain("prune");
  });

  it("Given a policy that keeps nothing, When retention applies, Then nothing is forgotten", async () => {
    const restic = fakeRestic();
    t = testContext({ restic, config: { retention: { keep: {} } } });

    await expect(applyRetention(t.ctx, ["app"])).rejects.toThrow(/keeps no snapshot/);
    expect(restic.forgets).toEqual([]);
  });
});
