import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { worthAHotPass } from "../../../../src/services/run/hot-pass";

describe("a hot pass (backup or restore safety snapshot) only where it can shorten the stop", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "safety-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("small data: no hot pass; past the byte or the entry limit (over all paths): a hot pass", () => {
    const a = dir();
    const b = dir();
    writeFileSync(join(a, "x"), Buffer.alloc(600));
    writeFileSync(join(b, "y"), Buffer.alloc(600));
    const min = { bytes: 1000, entries: 50 };
    expect(worthAHotPass([a], min)).toBe(false);
    expect(worthAHotPass([a, b], min)).toBe(true);
    const c = dir();
    for (let i = 0; i < 60; i++) mkdirSync(join(c, `d${i}`));
    expect(worthAHotPass([c], min)).toBe(true);
  });

  it("a missing path counts as nothing (the final pass reports it)", () => {
    expect(worthAHotPass([join(dir(), "gone")], { bytes: 1, entries: 1 })).toBe(false);
  });
});
