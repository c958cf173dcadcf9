import type { StackState } from "../../docker/discovery";
import type { StackDue } from "../../schedule/due";
import type { Owner } from "../../state/process-info";
import type { StackResultRow } from "../../state/store";
import type { Verification } from "../../state/verifications";

/** The repository lock's holder; alive: its process still runs (or runs on another host). */
export type LockHolder = Owner & { alive: boolean };

/** A run's stop journal entry: what it stopped and has not started again yet. */
export interface PendingRecovery {
  stack: string;
  /** The stopped containers, then the filesystem snapshots to delete ("btrfs snapshot /path"). */
  containers: string[];
  /** The stopped containers alone. */
  stopped: string[];
  pid: number;
  host: string;
  /** Its run still runs: not pending yet, only in progress. */
  alive: boolean;
}

/** One stack: what was found, what the dirlist says, its backups, its schedule, its last restore proof. */
export interface StackStatusRow {
  stack: string;
  /** Found by discovery (discover: true); undefined for a stack only the state store knows. */
  found?: { state: StackState; external: boolean };
  enabled: boolean;
  /** The newest attempt. */
  last?: StackResultRow;
  lastGood?: StackResultRow;
  /** How old the last good backup is. */
  ageMs?: number;
  /** Snapshots of it in the catalog. */
  snapshots: number;
  /** Its scheduled backup (the dirlist enables it and a schedule covers it). */
  due?: StackDue;
  verified?: Verification;
}
