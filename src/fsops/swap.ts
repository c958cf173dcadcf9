import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import { writeJsonAtomic } from "../state/atomic-file";
import { isAlive, type Owner } from "../state/process-info";

/** One live path being replaced by restored content. */
export interface SwapEntry {
  id: string;
  live: string;
  /** Where restic put the restored content. */
  staged: string;
  /** Where the live content goes while the swap happens. */
  old: string;
  stagingRoot: string;
  owner: Owner;
}

/** A staging directory beside the live path, so the final swap is a rename on one filesystem. */
export async function stagingRootFor(live: string, runId: string | number): Promise<string> {
  if (!isAbsolute(live)) throw new Error(`bug: restore target ${JSON.stringify(live)} is not an absolute path`);
  const root = join(dirname(live), `.backup-tui-restore-${runId}-${basename(live)}`);
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
    try {
      return readdirSync(this.dir).filter((n) => n.endsWith(".json")).map((n) => JSON.parse(readFileSync(join(this.dir, n), "utf8")) as SwapEntry);
    } catch {
      return [];
    }
  }
}

/**
 * Replaces live with staged: live → old, staged → live, then old is deleted. Each step is a
 * rename on one filesystem; the journal entry lets `finishInterruptedSwaps` complete it.
 */
export async function swapIn(e: SwapEntry, journal: SwapJournal): Promise<void> {
  if (!existsSync(e.staged)) throw new Error(`restored content for ${e.live} is missing at ${e.staged}`);
  journal.write(e);
  mkdirSync(dirname(e.live), { recursive: true });
  const hadLive = existsSync(e.live);
  if (hadLive) renameSync(e.live, e.old);
  try {
    renameSync(e.staged, e.live);
  } catch (err) {
    if (hadLive && !existsSync(e.live)) renameSync(e.old, e.live); // put the live data back
    throw err;
  }
  await removeTree(e.old);
  await removeTree(e.stagingRoot);
  journal.remove(e.id);
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
 * After a crash: a swap whose live path is missing is completed from the staged copy, or
 * rolled back from the old one; leftovers are removed. Only entries of dead processes.
 */
export async function finishInterruptedSwaps(journal: SwapJournal, host: string): Promise<Array<{ live: string; action: "completed" | "rolled-back" | "cleaned" }>> {
  const done: Array<{ live: string; action: "completed" | "rolled-back" | "cleaned" }> = [];
  for (const e of journal.list()) {
    if (e.owner.host !== host || isAlive(e.owner.pid, e.owner.pidStart)) continue;
    let action: "completed" | "rolled-back" | "cleaned" = "cleaned";
    if (!existsSync(e.live)) {
      if (existsSync(e.staged)) {
        renameSync(e.staged, e.live);
        action = "completed";
      } else if (existsSync(e.old)) {
        renameSync(e.old, e.live);
        action = "rolled-back";
      }
    }
    await removeTree(e.old);
    await removeTree(e.stagingRoot);
    journal.remove(e.id);
    done.push({ live: e.live, action });
  }
  return done;
}
