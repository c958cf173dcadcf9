import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/json";
import type { CatalogSnapshot, SnapshotFilter } from "../../../src/state/catalog";
import { StateStore } from "../../../src/state/store";

/** The newest n per (stack, host) of what matches, computed the plain way: the reference. */
function reference(all: CatalogSnapshot[], n: number): string[] {
  const seen = new Map<string, number>();
  return all
    .filter((s) => {
      const k = `${s.stack ?? ""}\u0000${s.host}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
      return seen.get(k)! <= n;
    })
    .map((s) => s.id);
}

describe("catalog: the newest N per stack and host, read from the index", () => {
  let dir: string;
  let store: StateStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "catalog-latest-"));
    store = StateStore.open(join(dir, "state.db"));
    const out: Snapshot[] = [];
    const t0 = Date.parse("2025-01-01T00:00:00Z");
    for (let i = 0; i < 3000; i++) {
      const stack = i % 7 === 0 ? undefined : `s${i % 5}`; // some snapshots of plain restic: no stack tag
      const kind = i % 11 === 0 ? "hot" : i % 13 === 0 ? "volume" : "stack";
      out.push({
        id: i.toString(16).padStart(64, "0"),
        time: new Date(t0 + ((i * 7919) % 3000) * 60_000).toISOString(), // times out of insertion order
        tree: "t",
        paths: ["/srv"],
        hostname: i % 3 ? "h1" : "h2",
        tags: ["backup-tui", ...(stack ? [`stack:${stack}`] : []), `kind:${kind}`],
      });
    }
    store.catalog.sync(out);
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const filters: SnapshotFilter[] = [
    {},
    { host: "h1" },
    { stack: "s2" },
    { tag: "kind:stack", host: "h2" },
    { since: "2025-01-01T10:00:00Z", until: "2025-01-02T10:00:00Z" },
    { includeHot: true },
  ];
  for (const f of filters)
    for (const n of [1, 5])
      it(`${JSON.stringify(f)}, ${n} per group: what a plain filter and count give, newest first`, () => {
        const got = store.catalog.list({ ...f, latestPerStack: n });
        expect(got.map((s) => s.id)).toEqual(reference(store.catalog.list(f), n));
        expect(got.length).toBeGreaterThan(0);
        expect(store.catalog.countMatching(f)).toBe(store.catalog.list(f).length);
      });
});
