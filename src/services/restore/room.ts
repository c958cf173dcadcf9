import { dirname } from "node:path";
import { AppError, ExitCode } from "../../errors";
import { format } from "../../format";
import { filesystemSpace, statOrUndefined } from "../../fsops/probe";
import type { CatalogFile } from "../../state/catalog";

/** Per entry beyond its bytes: a directory's block, a file's last partial block. */
const ENTRY_OVERHEAD = 4096;

/** What one restored path needs: where it is written, and the snapshot's files under it. */
export interface StagedPath {
  /** The path the copy is written beside (in place) or under (--target). */
  at: string;
  files: CatalogFile[];
}

/** The nearest existing directory at or above p: a volume not created yet lives on its parent's filesystem. */
function existingAncestor(p: string): string {
  let at = p;
  while (!statOrUndefined(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * Refuses, before anything is written or stopped, a restore whose copies do not fit: each copy
 * is written in full beside the live path (or under --target) before the swap, so every
 * filesystem needs room for all the copies it receives. Sizes come from the catalog's listing.
 */
export function assertRoomToStage(
  paths: StagedPath[],
  o: { target?: string; freeBytes?: (dir: string) => number } = {},
): void {
  const freeOf = o.freeBytes ?? ((dir: string) => filesystemSpace(dir).freeBytes);
  const byDevice = new Map<number, { dir: string; need: number; paths: string[] }>();
  for (const p of paths) {
    const dir = existingAncestor(p.at);
    const dev = statOrUndefined(dir)?.dev ?? -1;
    const need = p.files.reduce((n, f) => n + (f.type === "file" ? (f.size ?? 0) : 0) + ENTRY_OVERHEAD, 0);
    const slot = byDevice.get(dev) ?? { dir, need: 0, paths: [] };
    slot.need += need;
    slot.paths.push(p.at);
    byDevice.set(dev, slot);
  }
  const total = [...byDevice.values()].reduce((n, s) => n + s.need, 0);
  for (const slot of byDevice.values()) {
    const free = freeOf(slot.dir);
    if (slot.need <= free) continue;
    const shown = slot.paths.slice(0, 3).join(", ") + (slot.paths.length > 3 ? ", …" : "");
    throw new AppError(
      `not enough room to restore: the copies of ${shown} need ${format.bytes(slot.need)} on the filesystem of ${slot.dir}, which has ${format.bytes(free)} free; nothing was stopped or written`,
      ExitCode.failed,
      o.target
        ? `Restore under a --target on a filesystem with ${format.bytes(total)} free, or free ${format.bytes(slot.need - free)} there.`
        : `An in-place restore writes the whole copy beside the live data before swapping it in. Free ${format.bytes(slot.need - free)} there, or restore with --target DIR on a filesystem with ${format.bytes(total)} free and copy the files back.`,
    );
  }
}
