import { btui } from "../../command-hint";
import { AppError, ExitCode } from "../../errors";

/** A restic snapshot file's name: its ID. */
const SNAPSHOT_ID = /^[0-9a-f]{64}$/;

/** The snapshot IDs among file names (`snapshots/` of a repository, local or remote). */
export function snapshotIds(names: string[]): string[] {
  return names.filter((n) => SNAPSHOT_ID.test(n));
}

/**
 * MAX_DELETE_PERCENT: refuses (exit 2) a sync that would remove more than that share of the
 * remote's snapshots, counted by ID — those on the remote copy the local repository lacks.
 * A count or a size would let a damaged or emptied local repository (or one forgotten and
 * backed up again to the same number) take the cloud's snapshots with it.
 */
export function assertFewSnapshotsRemoved(o: {
  remote: string;
  remoteIds: string[];
  localIds: string[];
  maxDeletePercent: number;
  repo: string;
}): void {
  const local = new Set(o.localIds);
  const gone = o.remoteIds.filter((id) => !local.has(id));
  if (!gone.length || gone.length * 100 <= o.remoteIds.length * o.maxDeletePercent) return;
  const percent = Math.round((gone.length * 100) / o.remoteIds.length);
  throw new AppError(
    `the sync would remove ${gone.length} of the ${o.remoteIds.length} snapshots in ${o.remote} (${percent}%, more than MAX_DELETE_PERCENT ${o.maxDeletePercent}%): the local repository ${o.localIds.length ? "lacks them" : "has no snapshot"}`,
    ExitCode.usage,
    `Nothing was sent. If they were forgotten on purpose (a large forget), \`${btui("sync --force")}\` overrides this check; otherwise bring them back from the cloud copy first with \`${btui(`restore ${o.repo}`)}\` (it keeps what the local repository has). First of them: ${gone
      .slice(0, 3)
      .map((id) => id.slice(0, 8))
      .join(", ")}.`,
  );
}
