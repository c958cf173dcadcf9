import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../../../src/state/store";
import { TargetHistory } from "../../../src/state/target-history";

let store: StateStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});
const open = () => {
  store = StateStore.open(":memory:");
  return store.targets;
};
const id = (n: number) => n.toString(16).padStart(64, "0");

describe("the target history", () => {
  it("Given nothing synced yet, When a target is read, Then nothing was seen there", () => {
    expect(open().seen("offsite")).toBeUndefined();
  });

  it("Given a good sync recorded, When it is read back, Then the ids, time, size and file count round-trip, per target", () => {
    const t = open();
    t.recordSeen("offsite", [id(1), id(2)], { at: "2026-12-01T03:00:00.000Z", bytes: 9_000, files: 40 });
    t.recordSeen("default", [id(3)], { at: "2026-12-01T04:00:00.000Z" });
    expect(t.seen("offsite")).toEqual({
      ids: new Set([id(1), id(2)]),
      at: "2026-12-01T03:00:00.000Z",
      bytes: 9_000,
      files: 40,
    });
    expect(t.seen("default")).toEqual({ ids: new Set([id(3)]), at: "2026-12-01T04:00:00.000Z" });
  });

  it("Given a second good sync, When it is recorded, Then it replaces the set (and the size) of that target only", () => {
    const t = open();
    t.recordSeen("offsite", [id(1), id(2)], { at: "2026-12-01T03:00:00.000Z", bytes: 9_000, files: 40 });
    t.recordSeen("default", [id(1)], { at: "2026-12-01T03:00:00.000Z" });
    t.recordSeen("offsite", [id(2), id(4)], { at: "2026-12-02T03:00:00.000Z" });
    expect(t.seen("offsite")).toEqual({ ids: new Set([id(2), id(4)]), at: "2026-12-02T03:00:00.000Z" });
    expect(t.seen("default")?.ids).toEqual(new Set([id(1)]));
  });

  it("Given a sync recorded with its place, When it is read back, Then the place comes back with it", () => {
    const t = open();
    t.recordSeen("offsite", [id(1)], { at: "2026-12-01T03:00:00.000Z", location: "b2:bucket/host" });
    expect(t.seen("offsite")?.location).toBe("b2:bucket/host");
  });

  it("Given a database made before the place was kept, When it is opened, Then the column is added and old rows read without a place", () => {
    const db = new DatabaseSync(":memory:");
    db.exec(
      "CREATE TABLE target_sync (target TEXT PRIMARY KEY, at TEXT NOT NULL, bytes INTEGER, files INTEGER);" +
        "INSERT INTO target_sync VALUES ('offsite', '2026-12-01T03:00:00.000Z', 10, 1);",
    );
    const t = new TargetHistory(db);
    expect(t.seen("offsite")).toEqual({ ids: new Set(), at: "2026-12-01T03:00:00.000Z", bytes: 10, files: 1 });
    t.recordSeen("offsite", [id(2)], { at: "2026-12-02T03:00:00.000Z", location: "r:p" });
    expect(t.seen("offsite")?.location).toBe("r:p");
  });

  it("Given a store reopened on the same file, When a target is read, Then what was recorded is still there", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "btui-targets-"));
    try {
      const first = StateStore.open(join(dir, "state.db"));
      first.targets.recordSeen("offsite", [id(7)], { at: "2026-12-01T03:00:00.000Z", bytes: 1 });
      first.targets.recordForgotten([id(8)], "2026-12-01T03:00:00.000Z");
      first.close();
      const again = StateStore.open(join(dir, "state.db"));
      expect(again.targets.seen("offsite")?.ids).toEqual(new Set([id(7)]));
      expect(again.targets.forgotten()).toEqual(new Set([id(8)]));
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Given forgotten ids, When asked about some ids, Then only those this host forgot come back", () => {
    const t = open();
    t.recordForgotten([id(1), id(2)], "2026-12-01T03:00:00.000Z");
    t.recordForgotten([id(3)], "2026-12-02T03:00:00.000Z");
    expect(t.forgotten()).toEqual(new Set([id(1), id(2), id(3)]));
    expect(t.forgotten([id(2), id(3), id(9)])).toEqual(new Set([id(2), id(3)]));
    expect(t.forgotten([])).toEqual(new Set());
  });

  it("Given more forgotten ids than the limits keep, When more are recorded, Then the oldest (by count and by age) are dropped", () => {
    const t = new TargetHistory(new DatabaseSync(":memory:"), { maxForgotten: 3, keepForgottenMs: 10 * 86_400_000 });
    t.recordForgotten([id(1)], "2026-11-01T00:00:00.000Z");
    t.recordForgotten([id(2), id(3)], "2026-11-25T00:00:00.000Z");
    t.recordForgotten([id(4)], "2026-11-26T00:00:00.000Z");
    // id(1) is older than 10 days at the second record already.
    expect(t.forgotten()).toEqual(new Set([id(2), id(3), id(4)]));
    t.recordForgotten([id(5)], "2026-11-27T00:00:00.000Z");
    expect(t.forgotten().size).toBe(3);
    expect(t.forgotten()).toContain(id(5));
    expect(t.forgotten()).toContain(id(4));
    t.recordForgotten([id(6)], "2026-12-06T12:00:00.000Z");
    // Older than 10 days: everything before 2026-11-26T12:00.
    expect(t.forgotten()).toEqual(new Set([id(5), id(6)]));
  });

  it("Given the default limits, When 250k ids are forgotten, Then 200k are kept", () => {
    const t = open();
    const ids = Array.from({ length: 250_000 }, (_, i) => id(i));
    t.recordForgotten(ids.slice(0, 100_000), "2026-11-01T00:00:00.000Z");
    t.recordForgotten(ids.slice(100_000), "2026-12-01T00:00:00.000Z");
    const kept = t.forgotten();
    expect(kept.size).toBe(200_000);
    expect(kept.has(id(249_999))).toBe(true);
    expect(kept.has(id(100_000))).toBe(true);
  });

  it("Given 100k snapshot ids at a target, When they are recorded and read back, Then it takes well under a second", () => {
    const t = open();
    const ids = Array.from({ length: 100_000 }, (_, i) => id(i));
    const start = performance.now();
    t.recordSeen("offsite", ids, { at: "2026-12-01T03:00:00.000Z", bytes: 1 });
    const recorded = performance.now() - start;
    t.recordSeen("offsite", ids.slice(1), { at: "2026-12-02T03:00:00.000Z", bytes: 1 });
    const replaced = performance.now() - start - recorded;
    const seen = t.seen("offsite");
    const total = performance.now() - start;
    console.log(
      `100k ids: recorded in ${recorded.toFixed(0)} ms, replaced in ${replaced.toFixed(0)} ms, all with the read ${total.toFixed(0)} ms`,
    );
    expect(seen?.ids.size).toBe(99_999);
    expect(recorded).toBeLessThan(3_000);
  });

  it("Given an active alarm, When it is raised again, Then the one alarm is updated, keeping when it was first raised", () => {
    const t = open();
    t.raise("offsite", { at: "2026-12-01T03:00:00.000Z", message: "lost 1", missing: [id(1)] });
    t.raise("default", { at: "2026-12-01T03:00:00.000Z", message: "lost 9", missing: [id(9)] });
    const again = t.raise("offsite", {
      at: "2026-12-02T03:00:00.000Z",
      message: "lost 2",
      missing: [id(1), id(2)],
      detail: { mode: "mirror" },
    });
    expect(t.active("offsite")).toEqual([again]);
    expect(again).toMatchObject({
      target: "offsite",
      raisedAt: "2026-12-01T03:00:00.000Z",
      updatedAt: "2026-12-02T03:00:00.000Z",
      message: "lost 2",
      missing: [id(1), id(2)],
      detail: { mode: "mirror" },
    });
    expect(t.active().map((a) => a.target)).toEqual(["default", "offsite"]);
  });

  it("Given an active alarm, When it is acknowledged, Then it is no longer active but kept as history; a new raise is a new alarm", () => {
    const t = open();
    t.raise("offsite", { at: "2026-12-01T03:00:00.000Z", message: "lost 1", missing: [id(1)] });
    const acked = t.acknowledge("offsite", { at: "2026-12-01T09:00:00.000Z", by: "root" });
    expect(acked).toMatchObject({ acknowledgedAt: "2026-12-01T09:00:00.000Z", acknowledgedBy: "root" });
    expect(t.active("offsite")).toEqual([]);
    expect(t.active()).toEqual([]);
    expect(t.acknowledge("offsite", { at: "2026-12-01T10:00:00.000Z", by: "root" })).toBeUndefined();
    t.raise("offsite", { at: "2026-12-03T03:00:00.000Z", message: "lost 3", missing: [id(3)] });
    const history = t.alarms("offsite");
    expect(history.map((a) => [a.message, a.acknowledgedBy])).toEqual([
      ["lost 3", undefined],
      ["lost 1", "root"],
    ]);
    expect(t.active("offsite")[0]?.raisedAt).toBe("2026-12-03T03:00:00.000Z");
  });
});
