import { errorMessage } from "../errors";
import { pushKit } from "../services/doomsday/doomsday";
import type { ServiceContext } from "../services/run/context";
import { preflight } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import { syncRepository, type SyncReport, type SyncRequest } from "../services/sync/sync";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";
import type { JobHooks } from "./hooks";

export type SyncJobRequest = Pick<SyncRequest, "dryRun" | "bwlimit" | "transfers" | "force">;

export interface SyncJobReport {
  sync: SyncReport;
  /** Where the recovery kit was copied beside the cloud copy (none: dry run, failed sync, no kit). */
  kit?: string;
  /** The kit could not be copied: the sync itself stands. */
  kitWarning?: string;
}

/**
 * `backup-tui sync`, the TUI's sync: under the repository lock (never while a backup writes the
 * repository), after preflight; then the doomsday recovery kit beside the cloud copy
 * (RCLONE_PATH.kit), readable without the password.
 */
export function syncJob(ctx: ServiceContext, req: SyncJobRequest, hooks: JobHooks): Promise<SyncJobReport> {
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await preflight(ctx, hooks.emit, signal);
    const sync = await syncRepository(
      ctx,
      { ...req, retryBaseMs: retryBase(), stallTimeoutMs: stallTimeout(), signal },
      hooks.emit,
    );
    if (req.dryRun || sync.exitCode) return { sync };
    let kit: string | undefined;
    try {
      kit = await pushKit(ctx, signal);
    } catch (err) {
      return { sync, kitWarning: `the recovery kit was not copied beside the cloud copy: ${errorMessage(err)}` };
    }
    if (kit) hooks.emit({ type: "info", message: `recovery kit copied to ${kit}` });
    return { sync, kit };
  });
}
