import { describe, expect, it } from "vitest";
import { STALLED_AFTER_MS, transferFraction, transferText } from "../../../src/rclone/progress-text";
import type { TransferProgress } from "../../../src/rclone/rclone";

const p = (o: Partial<TransferProgress>): TransferProgress => ({
  bytes: 0,
  totalBytes: 0,
  transfers: 0,
  totalTransfers: 0,
  speed: 0,
  errors: 0,
  idleMs: 0,
  ...o,
});
const MiB = 1024 * 1024;

// Issue 16 item 13: one line for a transfer, true at every tick.
describe("transfer progress text", () => {
  it("Given rclone's first tick (speed 0, 17%), When shown, Then no stall is claimed", () => {
    const t = transferText(
      "sync",
      1,
      p({ bytes: 17 * MiB, totalBytes: 100 * MiB, transfers: 1, totalTransfers: 6, speed: 0, idleMs: 0 }),
    );
    expect(t).toBe("sync 17% 17.0 MiB/100.0 MiB 0 B/s 1/6 files");
  });

  it("Given nothing moved for STALLED_AFTER_MS, When shown, Then it says for how long", () => {
    expect(
      transferText("sync", 2, p({ bytes: 17 * MiB, totalBytes: 100 * MiB, idleMs: STALLED_AFTER_MS + 2500 })),
    ).toBe("sync (attempt 2) 17% 17.0 MiB/100.0 MiB 0 B/s 0/0 files (no progress for 12 s)");
  });

  it("Given a pull still listing (0 B of 0 B), When shown, Then it says it lists, not 0% stalled", () => {
    expect(transferText("pull", 1, p({}))).toBe("pull: listing and comparing files");
  });

  it("Given the final stats, When shown, Then 100% with the average speed and the time it took (also with nothing to send)", () => {
    const done = p({
      bytes: 12 * MiB,
      totalBytes: 12 * MiB,
      transfers: 6,
      totalTransfers: 6,
      speed: (12 * MiB) / 5,
      elapsedSec: 5,
      final: true,
      idleMs: 60_000,
    });
    expect(transferText("sync", 1, done)).toBe("sync 100% 12.0 MiB/12.0 MiB 2.4 MiB/s 6/6 files, done in 5.0 s");
    expect(transferFraction(p({ final: true }))).toBe(1);
    expect(transferText("sync", 1, p({ final: true, elapsedSec: 0.2 }))).toBe(
      "sync 100% 0 B/0 B 0 B/s 0/0 files, done in 200 ms",
    );
  });
});
