import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertRoomToStage } from "../../../../src/services/restore/room";
import type { CatalogFile } from "../../../../src/state/catalog";

const dir = mkdtempSync(join(tmpdir(), "room-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A filesystem with this much room (the real one's free space changes under a busy machine). */
const ROOM = 100 * 1024 * 1024;
const freeBytes = () => ROOM;
const free = () => ROOM;
const file = (size: number): CatalogFile => ({ snapshotId: "s", path: "/x", name: "x", type: "file", size });

describe("room to stage a restore", () => {
  it("Given copies that fit, When checked, Then nothing is refused", () => {
    expect(() => assertRoomToStage([{ at: join(dir, "a"), files: [file(1024)] }], { freeBytes })).not.toThrow();
  });

  it("Given two copies on one filesystem that fit one by one but not together, When checked, Then refused, naming the need, the room and the --target way", () => {
    const half = Math.floor(free() * 0.6);
    const paths = [
      { at: join(dir, "vol-a", "_data"), files: [file(half)] },
      { at: join(dir, "not", "there", "yet"), files: [file(half)] },
    ];
    expect(() => assertRoomToStage([paths[0]], { freeBytes })).not.toThrow();
    expect(() => assertRoomToStage(paths, { freeBytes })).toThrow(
      /not enough room to restore: the copies of .*vol-a\/_data, .*yet need .* on the filesystem of .*, which has .* free; nothing was stopped or written/,
    );
    try {
      assertRoomToStage(paths, { freeBytes });
    } catch (err) {
      expect((err as { hint?: string }).hint).toMatch(/or restore with --target DIR on a filesystem with .* free/);
      expect((err as { exitCode?: number }).exitCode).toBe(1);
    }
  });

  it("Given a --target, When it has no room, Then the hint speaks of the target", () => {
    try {
      assertRoomToStage([{ at: join(dir, "t"), files: [file(free() * 2)] }], { target: join(dir, "t"), freeBytes });
      expect.unreachable();
    } catch (err) {
      expect((err as { hint?: string }).hint).toMatch(/^Restore under a --target on a filesystem with/);
    }
  });

  it("Given files that fill the room to the byte, When checked, Then each entry's block counts too and it is refused", () => {
    const room = free();
    expect(() => assertRoomToStage([{ at: dir, files: [file(room - 4096)] }], { freeBytes })).not.toThrow();
    const files = [file(room - 4096), file(0), file(0)];
    expect(() => assertRoomToStage([{ at: dir, files }], { freeBytes })).toThrow(/not enough room/);
  });
});
