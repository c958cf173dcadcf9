import { afterEach, describe, expect, it } from "vitest";
import type { SyncTarget } from "../../../../src/config/targets";
import type { ServiceContext } from "../../../../src/services/run/context";
import { checkTamper, rememberTarget } from "../../../../src/services/sync/tamper-check";
import { StateStore } from "../../../../src/state/store";

const id = (c: string) => c.repeat(64);
let store: StateStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

function setup() {
  store = StateStore.open(":memory:");
  const warnings: string[] = [];
  const log = { warn: (_o: unknown, m: string) => warnings.push(m), error: () => {}, info: () => {} };
  const ctx = { store, log } as unknown as ServiceContext;
  const target = (path: string): SyncTarget => ({
    name: "default",
    section: "cloud_sync",
    mode: "mirror",
    remote: "cloud",
    path,
    transfers: 4,
    keepDeletedDays: 0,
    maxDeletePercent: 50,
  });
  return { ctx, target, warnings, store };
}

describe("the tamper check", () => {
  it("Given a target that lost a snapshot this host did not forget, When checked, Then an alarm is raised and kept", () => {
    const { ctx, target, store } = setup();
    rememberTarget(ctx, target("backups/h"), { snapshots: [id("a"), id("b")], bytes: 1000 });
    const r = checkTamper(ctx, target("backups/h"), { snapshots: [id("a")], bytes: 900 }, {});
    expect(r.alarm?.missing).toEqual([id("b")]);
    expect(store.targets.active("default")).toHaveLength(1);
  });

  it("Given the target pointed at another path since its last sync, When checked, Then the old place's memory is not applied (logged), and the next good sync records the new place", () => {
    const { ctx, target, warnings, store } = setup();
    rememberTarget(ctx, target("backups/old"), { snapshots: [id("a"), id("b")], bytes: 1000 });
    const r = checkTamper(ctx, target("backups/new"), { snapshots: [], bytes: 0 }, {});
    expect(r).toEqual({});
    expect(store.targets.active()).toEqual([]);
    expect(warnings.join("\n")).toContain("points elsewhere");
    rememberTarget(ctx, target("backups/new"), { snapshots: [id("c")], bytes: 10 });
    expect(store.targets.seen("default")?.location).toBe("cloud:backups/new");
    // From then on, the new place is watched.
    expect(checkTamper(ctx, target("backups/new"), { snapshots: [], bytes: 0 }, {}).alarm?.missing).toEqual([id("c")]);
  });

  it("Given an alarm still active, When the target is moved, Then the alarm stays until accepted", () => {
    const { ctx, target } = setup();
    rememberTarget(ctx, target("backups/old"), { snapshots: [id("a")], bytes: 1000 });
    expect(checkTamper(ctx, target("backups/old"), { snapshots: [], bytes: 0 }, {}).alarm).toBeDefined();
    expect(checkTamper(ctx, target("backups/new"), { snapshots: [], bytes: 0 }, {}).alarm).toBeDefined();
    const accepted = checkTamper(ctx, target("backups/new"), { snapshots: [], bytes: 0 }, { acceptLoss: true });
    expect(accepted.accepted).toBeDefined();
    expect(checkTamper(ctx, target("backups/new"), { snapshots: [], bytes: 0 }, {})).toEqual({});
  });
});
