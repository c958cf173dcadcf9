import { posix } from "node:path";

// One diff engine for every "what changed" question: two snapshots of a stack, a snapshot and
// the live data (`backup-tui diff`), and what a restore would change (its dry run and
// confirmation). Each side is a listing by absolute path; directories count by their presence
// and type only (their mtimes change with every file added).

export interface DiffSide {
  type: string;
  size?: number;
  /** Modification time in ms since the epoch, where known. */
  mtimeMs?: number;
}

export interface DiffItem {
  path: string;
  type: string;
  /** A file's size on the newer side (added, changed) or the older (removed). */
  size?: number;
  /** Changed: what it was on the older side. */
  was?: { type: string; size?: number };
}

export interface TreeDiff {
  added: DiffItem[];
  removed: DiffItem[];
  changed: DiffItem[];
  /** Bytes of the newer side's files that are added or changed: what turning older into newer writes. */
  bytes: number;
}

/** Within a second: restic stores nanoseconds, some filesystems keep less. */
const SAME_TIME_MS = 1000;

function differs(a: DiffSide, b: DiffSide): boolean {
  if (a.type !== b.type) return true;
  if (a.type !== "file") return false;
  if ((a.size ?? 0) !== (b.size ?? 0)) return true;
  return a.mtimeMs !== undefined && b.mtimeMs !== undefined && Math.abs(a.mtimeMs - b.mtimeMs) > SAME_TIME_MS;
}

/** What turns `older` into `newer`: added, removed and changed paths (sorted), and the bytes written. */
export function diffEntries(older: Map<string, DiffSide>, newer: Map<string, DiffSide>): TreeDiff {
  const d: TreeDiff = { added: [], removed: [], changed: [], bytes: 0 };
  const fileBytes = (e: DiffSide) => (e.type === "file" ? (e.size ?? 0) : 0);
  for (const [path, e] of newer) {
    const was = older.get(path);
    if (!was) {
      d.added.push({ path, type: e.type, ...(e.type === "file" ? { size: e.size ?? 0 } : {}) });
      d.bytes += fileBytes(e);
    } else if (differs(was, e)) {
      d.changed.push({
        path,
        type: e.type,
        ...(e.type === "file" ? { size: e.size ?? 0 } : {}),
        was: { type: was.type, ...(was.type === "file" ? { size: was.size ?? 0 } : {}) },
      });
      d.bytes += fileBytes(e);
    }
  }
  for (const [path, e] of older)
    if (!newer.has(path)) d.removed.push({ path, type: e.type, ...(e.type === "file" ? { size: e.size ?? 0 } : {}) });
  const byPath = (a: DiffItem, b: DiffItem) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  d.added.sort(byPath);
  d.removed.sort(byPath);
  d.changed.sort(byPath);
  return d;
}

/** A snapshot listing (catalog rows) as one side, each path moved from `from` to `to` (a snapshot root to its live path). */
export function snapshotSide(
  entries: Array<{ path: string; type: string; size?: number; mtime?: string }>,
  from?: string,
  to?: string,
): Map<string, DiffSide> {
  const side = new Map<string, DiffSide>();
  for (const e of entries) {
    const path = from !== undefined && to !== undefined ? posix.join(to, e.path.slice(from.length)) : e.path;
    side.set(path, { type: e.type, size: e.size, mtimeMs: e.mtime ? Date.parse(e.mtime) : undefined });
  }
  return side;
}
