import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkSnapshotStrategy } from "../../src/services/doctor/snapshot-strategy";
import { unknownStack } from "../../src/services/stacks/known";
import { currentOwner } from "../../src/state/process-info";
import { StateStore } from "../../src/state/store";
import { closest } from "../../src/suggest";
import { fakeRunner, fakeStack, testConfig } from "../helpers/fakes";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stack-names-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("did you mean", () => {
  it("Given a typo within two edits (one for short names), Then the closest name; otherwise none", () => {
    expect(closest("nextclod", ["nextcloud", "postgres"])).toBe("nextcloud");
    expect(closest("Postgres", ["nextcloud", "postgres"])).toBe("postgres");
    expect(closest("db2", ["db", "web"])).toBe("db");
    expect(closest("xyz", ["db", "web"])).toBeUndefined();
    expect(closest("a".repeat(100_000), ["db"])).toBeUndefined();
  });

  it("Given an unknown stack, Then exit 2 naming it, the closest name and every known stack", () => {
    const e = unknownStack("nextclod", { names: ["nextcloud", "postgres"] });
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('no stack named "nextclod"; did you mean nextcloud?');
    expect(e.hint).toContain("Known stacks: nextcloud, postgres.");
  });
});

describe("restore runs name their stack", () => {
  it("Given a restore run started with its stack, When runs are filtered by it, Then it is found, listed among the stacks runs named, and is no backup", () => {
    const store = StateStore.open(join(dir, "state.db"));
    const owner = currentOwner("h1", "backup-tui restore --stack web");
    const backup = store.startRun("backup", "manual", owner);
    store.recordStack({
      runId: backup,
      stack: "db",
      status: "succeeded",
      startedAt: new Date().toISOString(),
      durationMs: 1,
      downtimeMs: 0,
    });
    const restore = store.startRun("restore", "manual", owner, { stack: "web" });
    store.finishRun(restore, "succeeded", 0);
    expect(store.runs({ stack: "web" }).map((r) => [r.id, r.kind, r.stack])).toEqual([[restore, "restore", "web"]]);
    expect(store.runs({ stack: "db" }).map((r) => r.id)).toEqual([backup]);
    expect(store.stackNames()).toEqual(["db", "web"]);
    // A restore is not a backup: the last-backup view never counts it.
    expect([...store.lastBackups().keys()]).toEqual(["db"]);
    store.close();
  });
});

describe("doctor's snapshot strategy line", () => {
  const stacks = [fakeStack("web", [], { dir: "/srv/web" }), fakeStack("db", [], { dir: "/srv/db" })];
  const check = (strategy: "stop" | "snapshot") =>
    checkSnapshotStrategy(
      testConfig(join(dir, "state"), { docker: { strategy } }),
      { stacks: async () => stacks, providers: [] },
      fakeRunner(),
    );

  it("Given no stack set to snapshot, Then one short line (the rows stay in the data)", async () => {
    const c = await check("stop");
    expect(c.detail).toBe("not used (no stack has STOP_STRATEGY=snapshot); none of 2 stack(s) would qualify");
    expect(c.status).toBe("ok");
    expect((c.data as { stacks: unknown[] }).stacks).toHaveLength(2);
  });

  it("Given stacks set to snapshot, Then each one that falls back is named with why", async () => {
    const c = await check("snapshot");
    expect(c.detail.split("\n")).toHaveLength(3);
    expect(c.detail).toMatch(/^web \(set to snapshot: falls back\): /m);
    expect(c.status).toBe("warn");
  });
});
