import { describe, expect, it } from "vitest";
import type { CatalogSnapshot, SnapshotFilter } from "../../../src/state/catalog";
import { pagedRows } from "../../../src/tui/use-snapshots";

const snap = (i: number): CatalogSnapshot => ({
  id: String(i).padStart(64, "0"),
  shortId: String(i).padStart(8, "0"),
  time: new Date(Date.UTC(2026, 0, 1) - i * 60_000).toISOString(),
  host: "h",
  stack: "web",
  tags: [],
  paths: [],
  protected: false,
  indexed: false,
});

describe("the Snapshots screen's rows of a long catalog: read a page at a time, a few pages kept", () => {
  const all = Array.from({ length: 100_000 }, (_, i) => snap(i));
  const backend = () => {
    const asked: SnapshotFilter[] = [];
    return {
      asked,
      listSnapshots(f: SnapshotFilter) {
        asked.push(f);
        return all.slice(f.offset ?? 0, (f.offset ?? 0) + (f.limit ?? all.length));
      },
    };
  };

  it("gives the rows by index and slice, across page boundaries, asking only for the pages touched", () => {
    const b = backend();
    const rows = pagedRows(b, { stack: "web" }, all.length);
    expect(rows.length).toBe(100_000);
    expect(b.asked).toEqual([]);
    expect(rows.at(0)?.id).toBe(all[0].id);
    expect(rows.at(99_999)?.id).toBe(all[99_999].id);
    expect(rows.at(100_000)).toBeUndefined();
    expect(rows.slice(495, 505).map((r) => r.id)).toEqual(all.slice(495, 505).map((r) => r.id));
    expect(b.asked.map((f) => [f.offset, f.limit, f.stack])).toEqual([
      [0, 500, "web"],
      [99_500, 500, "web"],
      [500, 500, "web"],
    ]);
  });

  it("keeps at most 8 pages: paging down the whole list never holds it all, and a page left long ago is read again", () => {
    const b = backend();
    const rows = pagedRows(b, {}, all.length);
    for (let top = 0; top < all.length; top += 20) rows.slice(top, top + 20);
    expect(b.asked).toHaveLength(200); // each page once, in order
    rows.at(0);
    expect(b.asked).toHaveLength(201);
    rows.at(99_999); // still kept
    expect(b.asked).toHaveLength(201);
  });
});
