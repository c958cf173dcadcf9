import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { age, duration, format, span, until, when } from "../../src/format";
import * as tuiFormat from "../../src/tui/format";

// Times are shown in this machine's zone: a zone that is not UTC shows that they are.
const savedTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "Europe/Berlin";
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe("the time formatter", () => {
  it("Given an ISO time in UTC, When it is shown, Then it is this machine's local time, to the minute or second", () => {
    expect(when("2026-12-01T02:00:00Z")).toBe("2026-12-01 03:00");
    expect(when("2026-07-01T23:30:05.900Z", true)).toBe("2026-07-02 01:30:05");
    // restic's lock times carry their own offset.
    expect(when("2026-11-22T22:04:46.123456789+01:00", true)).toBe("2026-11-22 22:04:46");
    expect(when(undefined)).toBe("-");
  });

  it("Given format.when, When called with one argument or as a callback, Then it is when() to the minute", () => {
    expect(format.when("2026-12-01T02:00:00Z")).toBe("2026-12-01 03:00");
    expect(["2026-12-01T02:00:05Z"].map(format.when)).toEqual(["2026-12-01 03:00"]);
    expect(format.when(undefined)).toBe("-");
  });

  it("Given spans of time, When shown, Then one unit rounded down; ages and countdowns from now", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect([span(45_000), span(12 * 60_000 + 59_000), span(5 * 3_600_000), span(3 * 86_400_000 + 1)]).toEqual([
      "45s",
      "12m",
      "5h",
      "3d",
    ]);
    expect(span(-5000)).toBe("0s");
    expect(age("2026-12-01T09:00:00Z", now)).toBe("3h");
    expect(age(undefined, now)).toBe("never");
    expect(until("2026-12-01T17:00:00Z", now)).toBe("in 5h");
    expect(until("2026-12-01T11:00:00Z", now)).toBe("due now");
    expect(until(undefined, now)).toBe("-");
  });

  it("Given run lengths, When shown, Then ms, tenths of seconds, or minutes and seconds", () => {
    expect([duration(850), duration(12_540), duration(185_000), duration(undefined)]).toEqual([
      "850ms",
      "12.5s",
      "3m05s",
      "-",
    ]);
  });

  it("Given the TUI's format module, When it formats times, Then it uses these very functions", () => {
    expect(tuiFormat.when).toBe(when);
    expect(tuiFormat.span).toBe(span);
    expect(tuiFormat.age).toBe(age);
    expect(tuiFormat.until).toBe(until);
    expect(tuiFormat.duration).toBe(duration);
  });
});
