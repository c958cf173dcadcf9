import { readFileSync } from "node:fs";

/** The kernel's start time of a pid (clock ticks since boot), to tell a live holder from a reused pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22; the command name (field 2) may hold spaces, so count from the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** A dead process its parent has not reaped yet (an orphan waits for init, which may take seconds). */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** True while the pid exists at all, a zombie included (what restic's own stale-lock check sees). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the process that wrote (pid, startTime) still runs on this host (a zombie does not). */
export function isAlive(pid: number, startTime?: string): boolean {
  if (!pidExists(pid) || isZombie(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

export interface Owner {
  pid: number;
  pidStart?: string;
  host: string;
  startedAt: string;
  command: string;
}

export function currentOwner(host: string, command: string): Owner {
  return {
    pid: process.pid,
    pidStart: processStartTime(process.pid),
    host,
    startedAt: new Date().toISOString(),
    command,
  };
}
