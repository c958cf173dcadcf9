import { describe, expect, it } from "vitest";
import { assessTarget, type TargetAssessment } from "../../../../src/services/sync/tamper";

const id = (c: string) => c.repeat(64);
const GiB = 1024 ** 3;
const base = (o: Partial<TargetAssessment>): TargetAssessment => ({
  target: "offsite",
  mode: "mirror",
  seen: new Set(),
  remoteIds: [],
  forgotten: new Set(),
  ...o,
});

describe("the tamper assessment", () => {
  it("Given a first sync (nothing seen there yet), When assessed, Then it is ok whatever the target holds", () => {
    expect(assessTarget(base({ remoteIds: [], remoteBytes: 0 }))).toEqual({ ok: true });
    expect(assessTarget(base({ mode: "restic", remoteIds: [id("a")] }))).toEqual({ ok: true });
  });

  it("Given every snapshot seen still there (and new ones), When assessed, Then it is ok", () => {
    const seen = new Set([id("a"), id("b")]);
    expect(assessTarget(base({ seen, remoteIds: [id("a"), id("b"), id("c")] }))).toEqual({ ok: true });
  });

  it("Given snapshots gone that this host did not forget, When assessed, Then they are missing, named in the message", () => {
    const seen = new Set([id("a"), id("b"), id("c"), id("d"), id("e")]);
    const v = assessTarget(base({ seen, remoteIds: [id("a")] }));
    expect(v).toEqual({
      ok: false,
      missing: [id("b"), id("c"), id("d"), id("e")],
      message: "the copy at offsite lost 4 snapshots you did not forget (bbbbbbbb, cccccccc, dddddddd, …)",
    });
  });

  it("Given one snapshot gone, When assessed, Then the message says one snapshot, without an ellipsis", () => {
    const v = assessTarget(base({ seen: new Set([id("a"), id("b")]), remoteIds: [id("a")] }));
    expect(v.ok || v.message).toBe("the copy at offsite lost 1 snapshot you did not forget (bbbbbbbb)");
  });

  it("Given snapshots gone that this host forgot, When a mirror or append target is assessed, Then it is ok", () => {
    const seen = new Set([id("a"), id("b"), id("c")]);
    const forgotten = new Set([id("b"), id("c")]);
    for (const mode of ["mirror", "append"] as const)
      expect(assessTarget(base({ mode, seen, remoteIds: [id("a")], forgotten }))).toEqual({ ok: true });
  });

  it("Given some gone snapshots forgotten and some not, When assessed, Then only the others are missing", () => {
    const seen = new Set([id("a"), id("b"), id("c")]);
    const v = assessTarget(base({ mode: "append", seen, remoteIds: [id("a")], forgotten: new Set([id("b")]) }));
    expect(v).toMatchObject({ ok: false, missing: [id("c")] });
  });

  it("Given a MODE=restic target seen by the ids of the copies' originals, When remote retention removed copies, Then only those this host forgot are explained", () => {
    // The reference names each copy by its original (this host's id): a forget here names those.
    const seen = new Set([id("a"), id("b"), id("c")]);
    const v = assessTarget(base({ mode: "restic", seen, remoteIds: [id("a")], forgotten: new Set([id("b")]) }));
    expect(v).toEqual({
      ok: false,
      missing: [id("c")],
      message: "the copy at offsite lost 1 snapshot you did not forget (cccccccc)",
    });
  });

  it("Given a target much smaller than at the last sync, When assessed, Then it has shrunk, in the user's words", () => {
    const seen = new Set([id("a")]);
    const v = assessTarget(base({ seen, remoteIds: [id("a")], seenBytes: 9.8 * GiB, remoteBytes: 3.1 * GiB }));
    expect(v).toEqual({
      ok: false,
      missing: [],
      shrunk: { before: 9.8 * GiB, now: 3.1 * GiB },
      message: "the copy at offsite is 3.1 GiB, down from 9.8 GiB at the last sync",
    });
  });

  it("Given a shrink within the limit, or at it, When assessed, Then it is ok; a lower limit catches it", () => {
    const seen = new Set([id("a")]);
    const o = { seen, remoteIds: [id("a")], seenBytes: 1000 };
    expect(assessTarget(base({ ...o, remoteBytes: 500 }))).toEqual({ ok: true });
    expect(assessTarget(base({ ...o, remoteBytes: 600 }))).toEqual({ ok: true });
    expect(assessTarget(base({ ...o, remoteBytes: 499 })).ok).toBe(false);
    expect(assessTarget(base({ ...o, remoteBytes: 600, shrinkLimit: 0.2 })).ok).toBe(false);
  });

  it("Given an unmeasured size (then or now), When assessed, Then it never counts as shrunk", () => {
    const seen = new Set([id("a")]);
    expect(assessTarget(base({ seen, remoteIds: [id("a")], seenBytes: 1000 }))).toEqual({ ok: true });
    expect(assessTarget(base({ seen, remoteIds: [id("a")], remoteBytes: 1 }))).toEqual({ ok: true });
  });

  it("Given a shrink after this host forgot snapshots gone from a mirror, When assessed, Then the forget explains it", () => {
    const seen = new Set([id("a"), id("b")]);
    const o = { seen, remoteIds: [id("a")], forgotten: new Set([id("b")]), seenBytes: 1000, remoteBytes: 100 };
    expect(assessTarget(base(o))).toEqual({ ok: true });
    // Without the forget it is a loss and a shrink.
    expect(assessTarget(base({ ...o, forgotten: new Set() }))).toMatchObject({
      ok: false,
      missing: [id("b")],
      shrunk: { before: 1000, now: 100 },
    });
  });

  it("Given snapshots missing and a shrink, When assessed, Then the message says both", () => {
    const seen = new Set([id("a"), id("b")]);
    const v = assessTarget(base({ target: "nas", seen, remoteIds: [], seenBytes: 2 * GiB, remoteBytes: 0 }));
    expect(v.ok || v.message).toBe(
      "the copy at nas lost 2 snapshots you did not forget (aaaaaaaa, bbbbbbbb) and is 0 B, down from 2.0 GiB at the last sync",
    );
  });
});
