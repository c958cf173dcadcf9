import { describe, expect, it } from "vitest";
import { rewritten } from "../../../src/usecases/retention";

describe("protect: the snapshot restic wrote in place of the tagged one", () => {
  const old = { id: "aaaa", stack: "web", time: "2026-12-03T08:42:57.246Z" };

  it("is found although the catalog row written at backup time held a rounded time", () => {
    const refreshed = [{ id: "bbbb", stack: "web", time: "2026-12-03T08:42:57.246789123Z" }];
    expect(rewritten(refreshed, old)?.id).toBe("bbbb");
  });

  it("is another stack's never, and the nearest in time when several are close", () => {
    const rows = [
      { id: "cccc", stack: "db", time: old.time },
      { id: "dddd", stack: "web", time: "2026-12-03T08:42:57.900Z" },
      { id: "eeee", stack: "web", time: "2026-12-03T08:42:57.247Z" },
    ];
    expect(rewritten(rows, old)?.id).toBe("eeee");
  });

  it("is the old one when restic did not rewrite it (the tag was already there)", () => {
    expect(rewritten([old], old)?.id).toBe("aaaa");
    expect(rewritten([], old)).toBeUndefined();
  });
});
