import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import { writeJsonAtomic } from "../state/atomic-file";
import { isAlive, type Owner } from "../state/process-info";

/**
 * Where a swap stands. writing: restic is (or was, before a crash) writing the staged copy: never
 * swapped in. staged: restic exited 0 and the copy was checked against the snapshot. ready: staged,
 * and the live data it replaces is in the safety snapshot, or (keepOld) will be kept at `old`
 * until it is: the swap goes ahead, and a recovery finishes it. swapped (keepOld only): the
 * restored copy is live, and `old` holds the data it replaced until the safety snapshot of it is
 * taken (pendingSafety). An entry without a state (written by an older version) counts as writing.
 */
export type SwapState = "writing" | "staged" | "ready" | "swapped";

/** One live path being replaced by restored content. */
export interface SwapEntry {
  id: string;
  /** The restore run: a recovery finishes all of its swaps (every one ready) or none. */
  runId?: number | string;
  live: string;
  /** Where restic put the restored content. */
  staged: string;
  /** Where the live content goes while the swap happens. */
  old: string;
  stagingRoot: string;
  owner: Owner;
  state?: SwapState;
  /** add: nothing was at live; it is placed without replacing anything that appeared there since. */
  placement?: "replace" | "add";
  /**
   * The safety snapshot of the replaced data is taken after the swap, from `old` (bound at `live`
   * in a private mount namespace) once the stack runs again: `old` is kept until then, also
   * across a crash (the recovery takes it). Its tags and parent (the hot pass) are these.
   */
  keepOld?: { tags: string[]; parent?: string };
}

export type SwapAction = "completed" | "rolled-back" | "discarded";

/** True when something (even a dangling symlink) is at path. */
export function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The nearest existing directory at or above path. */
function existingAncestor(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * A staging directory on the live path's filesystem, so the final swap is a rename and nothing live is
 * created before it: in `near` (the directory holding the volume or folder the path is in, which no
 * service sees) when it is on the same filesystem, else beside the live path (its nearest existing
 * ancestor when its parent is missing).
 */
export async function stagingRootFor(live: string, runId: string | number, near?: string): Promise<string> {
  if (!isAbsolute(live)) throw new Error(`bug: restore target ${JSON.stringify(live)} is not an absolute path`);
  const beside = existingAncestor(dirname(live));
  const dir = near && existsSync(near) && statSync(near).dev === statSync(beside).dev ? near : beside;
  const root = join(dir, `.backup-tui-restore-${runId}-${basename(live)}`);
  await removeTree(root);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return root;
}

/** The restore journal: what a swap in progress needs to be finished or undone after a crash. */
export class SwapJournal {
  private readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, "restore-journal");
  }
  write(e: SwapEntry): void {
    writeJsonAtomic(join(this.dir, `${e.id}.json`), e);
  }
  remove(id: string): void {
    rmSync(join(this.dir, `${id}.json`), { force: true });
  }
  list(): SwapEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const out: SwapEntry[] = [];
    for (const n of names) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, n), "utf8")) as SwapEntry);
      } catch {
        // A torn write never reaches *.json (rename is atomic); ignore anything unreadable.
      }
    }
    return out;
  }
}

/**
 * Replaces live with staged: live → old, staged → live, then old is deleted. Each step is a
 * rename on one filesystem; the journal entry (ready) lets `finishInterruptedSwaps` complete it.
 * An add places staged where nothing was, and refuses (changing nothing) if something appeared.
 */
export async function swapIn(e: SwapEntry, journal: SwapJournal): Promise<void> {
  if (e.state !== "ready")
    throw new Error(`bug: swapping in ${e.live} before its restored copy is ready (${e.state ?? "writing"})`);
  if (!lexists(e.staged)) throw new Error(`restored content for ${e.live} is missing at ${e.staged}`);
  mkdirSync(dirname(e.live), { recursive: true });
  if (e.placement === "add") {
    placeNew(e.staged, e.live);
  } else {
    const hadLive = lexists(e.live);
    if (hadLive) renameSync(e.live, e.old);
    try {
      renameSync(e.staged, e.live);
    } catch (err) {
      if (hadLive && !lexists(e.live)) renameSync(e.old, e.live); // put the live data back
      throw err;
    }
  }
  if (e.keepOld && lexists(e.old)) {
    // The data replaced stays at old (no service sees it) until its safety snapshot is taken.
    journal.write({ ...e, state: "swapped" });
    e.state = "swapped";
    await removeTree(e.stagingRoot).catch(() => undefined);
    return;
  }
  // The swap is done: a leftover of the old data (EBUSY, an immutable file) is wasted space, not a
  // failed restore. Removed before the entry, so a crash here is finished (old deleted) by recover.
  await removeTree(e.old).catch(() => undefined);
  await removeTree(e.stagingRoot).catch(() => undefined);
  journal.remove(e.id);
}

/** A swapped entry's safety snapshot was taken: the data it replaced goes, then the entry. */
export async function dropOld(e: SwapEntry, journal: SwapJournal): Promise<void> {
  await removeTree(e.old).catch(() => undefined);
  journal.remove(e.id);
}

/**
 * Puts staged at live only if nothing is there, atomically: a hard link for a file (fails if live
 * exists), a directory claimed with mkdir and then replaced by a rename (which only replaces an
 * empty directory: one the service filled meanwhile stays, and the rename fails).
 */
function placeNew(staged: string, live: string): void {
  const appeared = () =>
    new Error(`${live} appeared while it was being restored: it was left as it is (restore it again to replace it)`);
  if (!lstatSync(staged).isDirectory()) {
    try {
      linkSync(staged, live);
    } catch (err) {
      throw (err as NodeJS.ErrnoException).code === "EEXIST" ? appeared() : err;
    }
    return;
  }
  try {
    mkdirSync(live);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === "EEXIST" ? appeared() : err;
  }
  try {
    renameSync(staged, live);
  } catch (err) {
    try {
      rmdirSync(live); // ours, if still empty
    } catch {
      // filled meanwhile: not ours to remove
    }
    throw ["ENOTEMPTY", "EEXIST"].includes((err as NodeJS.ErrnoException).code ?? "") ? appeared() : err;
  }
}

/**
 * Deletes a tree without blocking the event loop (the old live data can be millions of files:
 * a synchronous delete would stall signals, the lock check and every timer until it ends).
 */
export function removeTree(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true });
}

/** True when path is the root of a mount (a rename into or out of it cannot work). */
export function isMountPoint(path: string): boolean {
  try {
    return statSync(path).dev !== statSync(dirname(path)).dev;
  } catch {
    return false;
  }
}

/** Throws away a staging area that was never swapped in. */
export function discardStaging(stagingRoot: string): Promise<void> {
  return removeTree(stagingRoot);
}

/**
 * After a crash, for the entries of dead processes on this host, one restore run at a time: when
 * every swap of the run is ready (its copy complete and checked, the safety snapshot taken), the
 * swaps are finished; otherwise none is, the live data stays as it was (a half-done rename is
 * undone) and the partial copies are removed.
 */
export async function finishInterruptedSwaps(
  journal: SwapJournal,
  host: string,
): Promise<Array<{ live: string; action: SwapAction }>> {
  const runs = new Map<string, SwapEntry[]>();
  for (const e of journal.list()) {
    if (e.owner.host !== host || isAlive(e.owner.pid, e.owner.pidStart)) continue;
    const key = String(e.runId ?? e.id);
    runs.set(key, [...(runs.get(key) ?? []), e]);
  }
  const done: Array<{ live: string; action: SwapAction }> = [];
  for (const entries of runs.values()) {
    const complete = entries.every((e) => e.state === "ready" || e.state === "swapped");
    for (const e of entries) {
      const action = complete ? await finishSwap(e) : await undoSwap(e);
      await removeTree(e.stagingRoot);
      // Finished, with the replaced data kept for its safety snapshot: the entry stays until that is taken.
      if (action === "completed" && e.keepOld && lexists(e.old)) journal.write({ ...e, state: "swapped" });
      else journal.remove(e.id);
      done.push({ live: e.live, action });
    }
  }
  return done;
}

/**
 * Swapped entries of dead runs: restored data live, the data it replaced kept at `old` with no
 * safety snapshot yet. By run: each run's safety snapshot covers all of them.
 */
export function pendingSafety(journal: SwapJournal, host: string): SwapEntry[][] {
  const runs = new Map<string, SwapEntry[]>();
  for (const e of journal.list()) {
    if (e.state !== "swapped" || !e.keepOld || e.owner.host !== host) continue;
    if (isAlive(e.owner.pid, e.owner.pidStart)) continue;
    const key = String(e.runId ?? e.id);
    runs.set(key, [...(runs.get(key) ?? []), e]);
  }
  return [...runs.values()];
}

/** A ready swap, wherever the crash left it: finished (idempotent). */
async function finishSwap(e: SwapEntry): Promise<SwapAction> {
  const live = lexists(e.live);
  const staged = lexists(e.staged);
  if (e.placement === "add") {
    if (!live && staged) {
      mkdirSync(dirname(e.live), { recursive: true });
      placeNew(e.staged, e.live);
      return "completed";
    }
    // Placed already (the link shares the staged file's inode; a directory was renamed away), or something else is there now.
    return !staged || sameFile(e.live, e.staged) ? "completed" : "discarded";
  }
  if (live && staged && !lexists(e.old)) renameSync(e.live, e.old);
  if (lexists(e.staged) && !lexists(e.live)) renameSync(e.staged, e.live);
  if (!lexists(e.live) && lexists(e.old)) {
    renameSync(e.old, e.live);
    return "rolled-back";
  }
  if (lexists(e.staged)) return "discarded"; // live was not moved aside: left as it is, old kept
  if (!e.keepOld) await removeTree(e.old);
  return "completed";
}

/** A swap that may not go ahead: live as it was before the restore (a live moved aside is put back). */
async function undoSwap(e: SwapEntry): Promise<SwapAction> {
  if (!lexists(e.live) && lexists(e.old)) {
    renameSync(e.old, e.live);
    return "rolled-back";
  }
  // Only an older version's entry can have swapped already (live restored, old left): that swap had finished.
  if (e.state === undefined) await removeTree(e.old);
  return "discarded";
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = lstatSync(a);
    const y = lstatSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}
