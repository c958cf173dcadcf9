import type { StatusModel } from "../services/status/status";
import type { Dashboard } from "./backend";

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
    warnings: s.warnings.map((w) => w.message),
    dirlistError: s.dirlistError && `${s.dirlistError}${DIRLIST_FIX}`,
  };
}
