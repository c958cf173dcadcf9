import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/duration";
import { ExitCode, UsageError } from "../../src/errors";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["7d", 604_800_000],
    ["2w", 1_209_600_000],
    ["500ms", 500],
    ["1.5h", 5_400_000],
    ["45", 45_000],
    [" 30s ", 30_000],
  ])("Given %j, When parsed, Then it is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["abc", "", "10x", "1h 30m", "-5s", "h", "5m!"])(
    "Given %j, When parsed, Then it is a usage error with a hint",
    (text) => {
      const err = (() => {
        try {
          parseDuration(text, "--wait");
        } catch (e) {
          return e;
        }
      })();

      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(ExitCode.usage);
      expect((err as UsageError).message).toBe(`invalid --wait: ${JSON.stringify(text)}`);
      expect((err as UsageError).hint).toMatch(/30s, 10m/);
    },
  );
});
