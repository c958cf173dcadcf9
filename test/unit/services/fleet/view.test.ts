import { describe, expect, it } from "vitest";
import { parseStatusDocument, STATUS_FORMAT, type StatusDocument } from "../../../../src/services/fleet/document";
import type { Published } from "../../../../src/services/fleet/read";
import { fleetView } from "../../../../src/services/fleet/view";
import { fleetEvents } from "../../../../src/services/fleet/watch";

const H = 3600_000;
const T0 = Date.parse("2026-12-05T00:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** A host that backs up daily (allowance 2 days) and last published at `published`. */
function host(name: string, published: number, stacks: StatusDocument["stacks"]): Published {
  const doc: StatusDocument = {
    format: STATUS_FORMAT,
    host: name,
    publishedAt: at(published),
    version: "1.0.0",
    publishWithinMs: 48 * H,
    stacks,
    warnings: 0,
  };
  return { host: name, snapshot: `${name}-snap`, time: at(published), doc };
}
const good = (stack: string, lastGood: number, status = "succeeded") => ({
  stack,
  lastGood: { at: at(lastGood), durationMs: 1000, downtimeMs: 200 },
  last: { at: at(lastGood), status },
  thresholdMs: 48 * H,
  overdue: false,
});

describe("fleet view", () => {
  const fleet = [
    host("h1", 0, [good("web", 0), good("db", 0)]),
    host("h2", 0, [good("app", 0), { ...good("mail", -10 * H), last: { at: at(0), status: "failed", error: "boom" } }]),
    host("h3", -47 * H, [good("git", -47 * H)]),
  ];

  it("worst host first, worst stack first", () => {
    const v = fleetView(fleet, new Date(T0 + H));
    expect(v.map((h) => [h.host, h.state])).toEqual([
      ["h2", "failed"],
      ["h1", "ok"],
      ["h3", "ok"],
    ]);
    expect(v[0].stacks.map((s) => [s.stack, s.state])).toEqual([
      ["mail", "failed"],
      ["app", "ok"],
    ]);
  });

  it("a host that stops publishing goes silent exactly when its window passes", () => {
    const justIn = fleetView(fleet, new Date(T0 + H - 1)).find((h) => h.host === "h3")!;
    const justOut = fleetView(fleet, new Date(T0 + H + 1)).find((h) => h.host === "h3")!;
    expect(justIn.state).toBe("ok");
    expect(justOut.state).toBe("silent");
    expect(fleetView(fleet, new Date(T0 + H + 1))[0].host).toBe("h3");
    // Its stack is judged at now too: overdue once its last good backup is older than 48 h.
    expect(justOut.stacks[0].state).toBe("overdue");
  });

  it("a stack is overdue at now even when its host published recently; an unscheduled one never", () => {
    const v = fleetView(
      [
        host("h4", 0, [
          good("old", -49 * H),
          { stack: "manual", overdue: false, lastGood: { at: at(-900 * H), durationMs: 1, downtimeMs: 0 } },
        ]),
      ],
      new Date(T0),
    );
    expect(v[0].stacks.map((s) => [s.stack, s.state])).toEqual([
      ["old", "overdue"],
      ["manual", "unscheduled"],
    ]);
    expect(v[0].state).toBe("overdue");
  });

  it("a host whose document cannot be read is shown, unreadable, first", () => {
    const v = fleetView([...fleet, { host: "h9", snapshot: "x", time: at(0), problem: "no status" }], new Date(T0));
    expect(v[0]).toMatchObject({ host: "h9", state: "unreadable", problem: "no status" });
  });

  it("a document is trusted only for the host it names, and only in this format", () => {
    const text = JSON.stringify(fleet[0].doc);
    expect(parseStatusDocument(text, "h1")?.host).toBe("h1");
    expect(parseStatusDocument(text, "h2")).toBeUndefined();
    expect(parseStatusDocument(text.replace(STATUS_FORMAT, "backup-tui-status/9"), "h1")).toBeUndefined();
    expect(parseStatusDocument("not json", "h1")).toBeUndefined();
  });
});

describe("fleet events", () => {
  const fleet = [
    host("h1", 0, [good("web", 0)]),
    host("h2", 0, [{ ...good("mail", -10 * H), last: { at: at(0), status: "failed", error: "boom" } }]),
    host("h3", -49 * H, [good("git", -49 * H)]),
  ];

  it("every other host's trouble once, keyed so a new failure is a new event; the host's own is left to it", () => {
    const events = fleetEvents(fleetView(fleet, new Date(T0)), "h1");
    expect(events.map((e) => e.key)).toEqual([
      `silent h3 ${at(-49 * H)}`,
      `overdue h3 git ${at(-49 * H)}`,
      `failed h2 mail ${at(0)}`,
    ]);
    expect(events[2].line).toMatch(/^h2 mail: FAILED .*: boom$/);
    expect(fleetEvents(fleetView(fleet, new Date(T0)), "h2").map((e) => e.key)).not.toContain(
      `failed h2 mail ${at(0)}`,
    );
    const later = [host("h2", H, [{ ...good("mail", -10 * H), last: { at: at(H), status: "failed" } }])];
    expect(fleetEvents(fleetView(later, new Date(T0 + H)), "h1").map((e) => e.key)).toEqual([
      `failed h2 mail ${at(H)}`,
    ]);
  });
});
