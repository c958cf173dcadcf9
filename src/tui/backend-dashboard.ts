import type { StatusModel } from "../services/status/status";
import type { StackState } from "../docker/discovery";

/** One row of the dashboard. */
export interface StackStatus {
  name: string;
  state: StackState;
  enabled: boolean;
  external: boolean;
  lastBackup?: { at: string; status: string; snapshotId?: string };
  snapshots: number;
  /** The next scheduled backup (ISO): a schedule covers the stack and the dirlist enables it. */
  next?: string;
  /** Its last good backup is older than its schedule allows, or it was tried and never succeeded. */
  overdue?: boolean;
}

/** One sync target on the dashboard: its last good sync, last result, alarm, and whether this host can erase it. */
export interface CopyStatus {
  name: string;
  lastGoodAt?: string;
  lastStatus?: string;
  alarm: boolean;
  /** The last doctor probe found this host can delete there. */
  erasable: boolean;
}

export interface Dashboard {
  repository: string;
  host: string;
  stacks: StackStatus[];
  snapshotTotal: number;
  catalogRefreshedAt?: string;
  /** The sync targets ([cloud_sync] first); none configured: empty or absent. */
  copies?: CopyStatus[];
  /**
   * Things that need a person: a sync target's tamper alarm, pending recovery, a stale lock, a failed last run, snapshots about
   * to be forgotten for space, overdue stacks, config warnings (most urgent first).
   */
  warnings: string[];
  /**
   * The dirlist has a line it cannot read: what is enabled is unknown (the stacks found are still
   * listed), and a backup of the enabled stacks stops with this error until the line is fixed.
   */
  dirlistError?: string;
}

/** The TUI's words after a dirlist error: how to get on. */
export const DIRLIST_FIX =
  " Fix or delete that line, then press r; until then no stack counts as enabled, and backing up the enabled stacks stops with this error.";

/** The dashboard's view of the status model: the stacks discovery found, the warnings as lines. */
export function dashboardOf(s: StatusModel): Dashboard {
  return {
    repository: s.repository,
    host: s.host,
    stacks: s.stacks.flatMap((r) =>
      r.found
        ? [
            {
              name: r.stack,
              state: r.found.state,
              enabled: r.enabled,
              external: r.found.external,
              lastBackup: r.last && { at: r.last.startedAt, status: r.last.status, snapshotId: r.last.snapshotId },
              snapshots: r.snapshots,
              next: r.due?.next,
              overdue: r.due?.overdue ?? false,
            },
          ]
        : [],
    ),
    snapshotTotal: s.catalog.snapshots,
    catalogRefreshedAt: s.catalog.refreshedAt,
    copies: s.copies.map((c) => ({
      name: c.target,
      lastGoodAt: c.lastGood?.at,
      lastStatus: c.last?.status,
      alarm: c.alarm,
      erasable: c.probe?.verdict === "erasable",
    })),
    warnings: s.warnings.map((w) => w.message),
    dirlistError: s.dirlistError && `${s.dirlistError}${DIRLIST_FIX}`,
  };
}
