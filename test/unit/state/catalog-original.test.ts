import { mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/json";
import { StateStore } from "../../../src/state/store";

const snap = (id: string, extra: Partial<Snapshot> = {}): Snapshot => ({
  id,
  short_id: id.slice(0, 8),
  time: "2026-12-01T00:00:00Z",
  tree: "t",
  paths: ["/srv/app"],
  hostname: "vm",
  tags: ["backup-tui", "stack:app", "kind:stack"],
  ...extra,
});

describe("catalog: snapshots by the id they were copied from", () => {
  const dirs: string[] = [];
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), "catalog-orig-"));
    dirs.push(dir);
    return { dir, store: StateStore.open(join(dir, "state.db")) };
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("Given copies pulled from a MODE=restic target, When resolved by the ids the old host named, Then each copy is found (full id or prefix), and its own id still wins", () => {
    const { store } = open();
    const a = "a".repeat(64);
    const b = "b".repeat(64);
    store.catalog.sync([snap("1".repeat(64), { original: a }), snap("2".repeat(64), { original: b })]);
    expect(store.catalog.resolve(a)?.id).toBe("1".repeat(64));
    expect(store.catalog.resolve("bbbbbbbb")?.id).toBe("2".repeat(64));
    expect(store.catalog.resolve(a)?.original).toBe(a);
    expect(store.catalog.resolve("1111")?.id).toBe("1".repeat(64));
    expect(store.catalog.resolve("c".repeat(64))).toBeUndefined();
    store.close();
  });

  it("Given two copies of one original, When resolved by it, Then nothing is guessed", () => {
    const { store } = open();
    const a = "a".repeat(64);
    store.catalog.sync([snap("1".repeat(64), { original: a }), snap("2".repeat(64), { original: a })]);
    expect(store.catalog.resolve(a)).toBeUndefined();
    store.close();
  });

  it("Given a catalog from before `original` was kept, When opened and refreshed, Then the column is added and filled", () => {
    const { dir, store } = open();
    store.catalog.sync([snap("1".repeat(64))]);
    store.close();
    const db = new DatabaseSync(join(dir, "state.db"));
    db.exec("ALTER TABLE snapshots DROP COLUMN original");
    db.close();
    const again = StateStore.open(join(dir, "state.db"));
    expect(again.catalog.resolve("a".repeat(64))).toBeUndefined();
    again.catalog.sync([snap("1".repeat(64), { original: "a".repeat(64) })]);
    expect(again.catalog.resolve("a".repeat(64))?.id).toBe("1".repeat(64));
    again.close();
  });
});
