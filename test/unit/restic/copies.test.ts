import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyOf, lackingCopies, persistentId } from "../../../src/restic/copies";
import { parseCopyLine } from "../../../src/restic/copy-output";

/** Real `restic copy` stdout of restic 0.19.1 (four snapshots into a new repository, not a terminal). */
const COPY_OUT = readFileSync(
  join(import.meta.dirname, "..", "..", "fixtures", "restic", "0.19", "copy.stdout.txt"),
  "utf8",
);

describe("parseCopyLine", () => {
  it("Given restic 0.19's copy output, When each line is parsed, Then four starts, pack progress and four saved copies come out in order, and the rest is ignored", () => {
    const lines = COPY_OUT.split("\n").map(parseCopyLine);
    const kinds = lines.flatMap((l) => (l ? [l.kind] : []));

    expect(kinds.filter((k) => k === "start")).toHaveLength(4);
    expect(kinds.filter((k) => k === "packs")).toHaveLength(4);
    expect(lines.filter((l) => l?.kind === "copied")).toEqual([
      { kind: "copied", copy: "faead97d", source: "46e74f0e" },
      { kind: "copied", copy: "b3faa78c", source: "6d45f9d7" },
      { kind: "copied", copy: "342a210e", source: "4068e0ce" },
      { kind: "copied", copy: "8f3679f8", source: "37dd0a0b" },
    ]);
    expect(lines.find((l) => l?.kind === "start")).toEqual({ kind: "start", source: "46e74f0e" });
    expect(lines.filter((l) => l === undefined).length).toBeGreaterThan(0);
  });

  it("Given pack progress with and without a total, When parsed, Then done and total are read", () => {
    expect(parseCopyLine("[0:03] 42.00%  21 / 50 packs copied")).toEqual({ kind: "packs", done: 21, total: 50 });
    expect(parseCopyLine("[0:00]          0 packs copied")).toEqual({ kind: "packs", done: 0, total: undefined });
    expect(parseCopyLine("[1:02:03] 100.00%  7 / 7 packs copied")).toEqual({ kind: "packs", done: 7, total: 7 });
  });

  it("Given a skip line (restic -v), When parsed, Then source and its existing copy are read", () => {
    expect(parseCopyLine("skipping source snapshot 46e74f0e, was already copied to snapshot 24630e58")).toEqual({
      kind: "skipped",
      source: "46e74f0e",
      copy: "24630e58",
    });
  });

  it("Given lines that only look alike, When parsed, Then nothing is read from them", () => {
    for (const l of ["snapshot abc of [/x]", "snapshot 46e74f0e saved", "copy started, this may take a while...", ""])
      expect(parseCopyLine(l)).toBeUndefined();
  });
});

const snap = (id: string, time: string, original?: string) => ({ id, time, original });

describe("which snapshots a copy lacks", () => {
  const a = snap("a".repeat(64), "2026-01-01T00:00:00Z");
  const b = snap("b".repeat(64), "2026-01-02T00:00:00Z");
  // b was rewritten by `restic tag` (protect): a new id, original pointing at b.
  const bTagged = snap("c".repeat(64), "2026-01-02T00:00:00Z", b.id);

  it("Given a snapshot without original, Then its persistent id is its own; with one, the original", () => {
    expect(persistentId(a)).toBe(a.id);
    expect(persistentId(bTagged)).toBe(b.id);
  });

  it("Given a target holding a copy of a (original = a's id), When compared, Then only b is lacking", () => {
    const target = [snap("1".repeat(64), a.time, a.id)];
    expect(lackingCopies([a, b], target)).toEqual([b]);
    expect(copyOf(a, target)?.id).toBe("1".repeat(64));
    expect(copyOf(b, target)).toBeUndefined();
  });

  it("Given a local snapshot rewritten by restic tag after it was copied, When compared, Then it is not lacking (its original was copied)", () => {
    const target = [snap("2".repeat(64), b.time, b.id)];
    expect(lackingCopies([bTagged], target)).toEqual([]);
    expect(copyOf(bTagged, target)?.id).toBe("2".repeat(64));
  });

  it("Given a target holding the very snapshot (same id, no original), When compared, Then it is not lacking", () => {
    expect(lackingCopies([a], [a])).toEqual([]);
  });

  it("Given two copies of one snapshot in the target, Then copyOf names the newest", () => {
    const older = snap("3".repeat(64), "2026-01-01T00:00:00Z", a.id);
    const newer = snap("4".repeat(64), "2026-01-01T00:00:01Z", a.id);
    expect(copyOf(a, [newer, older])?.id).toBe(newer.id);
  });

  it("Given an empty target, Then every local snapshot is lacking, in order", () => {
    expect(lackingCopies([a, b], [])).toEqual([a, b]);
  });
});
