import { describe, expect, it } from "vitest";
import { diffEntries, snapshotSide, type DiffSide } from "../../../../src/services/snapshots/diff";

const side = (o: Record<string, DiffSide>) => new Map(Object.entries(o));

describe("the diff engine", () => {
  it("Given two listings, When diffed, Then added, removed, changed (size, mtime, file→dir) are named with sizes, and directories count only by presence and type", () => {
    const older = side({
      "/d": { type: "dir", mtimeMs: 1 },
      "/d/same": { type: "file", size: 5, mtimeMs: 1000 },
      "/d/grown": { type: "file", size: 5, mtimeMs: 1000 },
      "/d/touched": { type: "file", size: 5, mtimeMs: 1000 },
      "/d/gone": { type: "file", size: 7 },
      "/d/became-dir": { type: "file", size: 3 },
    });
    const newer = side({
      "/d": { type: "dir", mtimeMs: 99_999 },
      "/d/same": { type: "file", size: 5, mtimeMs: 1500 },
      "/d/grown": { type: "file", size: 9, mtimeMs: 1000 },
      "/d/touched": { type: "file", size: 5, mtimeMs: 5000 },
      "/d/became-dir": { type: "dir" },
      "/d/became-dir/x": { type: "file", size: 4 },
      "/d/new": { type: "file", size: 11 },
    });
    const d = diffEntries(older, newer);
    expect(d.added).toEqual([
      { path: "/d/became-dir/x", type: "file", size: 4 },
      { path: "/d/new", type: "file", size: 11 },
    ]);
    expect(d.removed).toEqual([{ path: "/d/gone", type: "file", size: 7 }]);
    expect(d.changed).toEqual([
      { path: "/d/became-dir", type: "dir", was: { type: "file", size: 3 } },
      { path: "/d/grown", type: "file", size: 9, was: { type: "file", size: 5 } },
      { path: "/d/touched", type: "file", size: 5, was: { type: "file", size: 5 } },
    ]);
    expect(d.bytes).toBe(4 + 11 + 9 + 5);
  });

  it("Given a snapshot listing and a live root elsewhere, When made a side, Then its paths move to the live root", () => {
    const s = snapshotSide(
      [
        { path: "/old/_data", type: "dir" },
        { path: "/old/_data/a", type: "file", size: 1, mtime: "2026-12-01T00:00:00Z" },
      ],
      "/old/_data",
      "/new/_data",
    );
    expect([...s.keys()]).toEqual(["/new/_data", "/new/_data/a"]);
    expect(s.get("/new/_data/a")).toEqual({ type: "file", size: 1, mtimeMs: Date.parse("2026-12-01T00:00:00Z") });
  });
});
