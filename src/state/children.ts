import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killGroup } from "../exec/process-groups";
import { groupAlive, type ChildLedger } from "../exec/runner";
import { isAlive, processStartTime } from "./process-info";

interface ChildRecord {
  pgid: number;
  /** The leader's kernel start time: a reused pid is not ours. */
  start?: string;
  name: string;
  owner: number;
  ownerStart?: string;
}

/**
 * The process groups this process started (restic, rclone, docker...), one small file each under
 * the state directory while they run. A run killed with kill -9 cannot stop its children; the next
 * run (or `recover`) finds their files and stops what is still running, so an orphaned restic
 * never keeps reading volumes or holding the repository's lock.
 */
export class ChildRecords implements ChildLedger {
  constructor(private readonly dir: string) {}

  add(pgid: number, name: string): void {
    const rec: ChildRecord = {
      pgid,
      start: processStartTime(pgid),
      name,
      owner: process.pid,
      ownerStart: processStartTime(process.pid),
    };
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(this.file(pgid), JSON.stringify(rec), { mode: 0o600 });
    } catch {
      // Best effort: the child runs either way.
    }
  }

  remove(pgid: number): void {
    rmSync(this.file(pgid), { force: true });
  }

  /** Stops the process groups of runs that are gone (TERM, then KILL after graceMs); returns "name (pid N)" of each. */
  async reapOrphans(graceMs = 3000): Promise<string[]> {
    const stopped: string[] = [];
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return stopped;
    }
    for (const n of names) {
      let rec: ChildRecord;
      try {
        rec = JSON.parse(readFileSync(join(this.dir, n), "utf8")) as ChildRecord;
      } catch {
        rmSync(join(this.dir, n), { force: true });
        continue;
      }
      if (rec.owner === process.pid || isAlive(rec.owner, rec.ownerStart)) continue;
      // The leader runs under the same start time, or it is gone but its group lives on (a pgid is
      // not handed out again while its group exists). A leader pid now used by another process is not ours.
      const leaderStart = processStartTime(rec.pgid);
      const ours = leaderStart === undefined ? groupAlive(rec.pgid) : leaderStart === rec.start;
      if (ours && (await stopGroup(rec.pgid, graceMs))) stopped.push(`${rec.name} (pid ${rec.pgid})`);
      rmSync(join(this.dir, n), { force: true });
    }
    return stopped;
  }

  private file(pgid: number): string {
    return join(this.dir, `${pgid}.json`);
  }
}

async function stopGroup(pgid: number, graceMs: number): Promise<boolean> {
  if (!killGroup(pgid, "SIGTERM")) return false;
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pgid)) killGroup(pgid, "SIGKILL");
  // Until init reaps them the dead keep their pids, and restic reads a lock whose holder pid
  // exists as held: wait (a few seconds at most) for the group to leave the process table.
  const reaped = Date.now() + 10_000;
  while (killGroup(pgid, 0) && Date.now() < reaped) await new Promise((r) => setTimeout(r, 100));
  return true;
}

/** The ledger of a state directory. */
export const childRecords = (stateDir: string) => new ChildRecords(join(stateDir, "children"));
