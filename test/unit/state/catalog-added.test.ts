import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/json";
import { StateStore } from "../../../src/state/store";

const ID = "a".repeat(64);
const TAGS = ["backup-tui", "stack:media", "kind:stack", "trigger:manual"];
/** restic's view of a two-pass snapshot: its summary holds the final pass only (670 B). */
const fromRestic = (over: Partial<Snapshot> = {}): Snapshot => ({
  id: ID,
  short_id: ID.slice(0, 8),
  time: "2026-12-01T10:00:00Z",
  tree: "t",
  paths: ["/srv/media"],
  hostname: "h",
  tags: TAGS,
  summary: { data_added: 670 },
  ...over,
});

describe("catalog ADDED: the run's figure (hot + final pass) survives re-reading restic's list", () => {
  let dir: string;
  let store: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "catalog-added-"));
    store = StateStore.open(join(dir, "state.db"));
    // The run: recorded in history and added to the catalog with what both passes added.
    const runId = store.startRun("backup", "manual", {
      pid: process.pid,
      host: "h",
      startedAt: "2026-12-01T10:00:00Z",
      command: "test",
    });
    store.recordStack({
      runId,
      stack: "media",
      status: "succeeded",
      startedAt: "2026-12-01T10:00:00Z",
      durationMs: 1,
      downtimeMs: 1,
      bytesAdded: 230_686_720,
      snapshotId: ID,
    });
    store.catalog.add([{ ...fromRestic(), summary: { data_added: 230_686_720 } }]);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const added = (id = ID) => store.catalog.list({ includeHot: true }).find((s) => s.id === id)?.dataAdded;

  it("Given our snapshot, When restic's list is synced (refresh), Then ADDED stays the run's", () => {
    store.catalog.sync([fromRestic()]);
    expect(added()).toBe(230_686_720);
  });

  it("Given our snapshot protected (restic tag rewrites it under a new id with `original`), When synced, Then the new id shows the run's figure", () => {
    const NEW = "b".repeat(64);
    store.catalog.sync([
      fromRestic({ id: NEW, short_id: NEW.slice(0, 8), tags: [...TAGS, "protected"], original: ID }),
    ]);
    expect(added(NEW)).toBe(230_686_720);
    expect(added(ID)).toBeUndefined();
  });

  it("Given an emptied catalog (another repository spelling), When synced, Then the run history gives the figure", () => {
    store.catalog.bindTo("/elsewhere");
    store.catalog.sync([fromRestic()]);
    expect(added()).toBe(230_686_720);
  });

  it("Given a snapshot no run of ours made, When synced, Then ADDED is restic's", () => {
    const OTHER = "c".repeat(64);
    store.catalog.sync([
      fromRestic(),
      fromRestic({ id: OTHER, short_id: OTHER.slice(0, 8), summary: { data_added: 1234 } }),
    ]);
    expect(added(OTHER)).toBe(1234);
  });
});
