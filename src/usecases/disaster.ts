import { requireConfirmation, type Confirmation } from "../security/confirm";
import type { Config } from "../config/types";
import { disasterRestore, type DisasterReport } from "../services/disaster/disaster";
import type { ServiceContext } from "../services/run/context";
import { recoverInterrupted } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";
import type { JobHooks } from "./hooks";
import { targetWhere } from "../config/targets";
import { namedTarget } from "../services/sync/target-repository";

/** `restore --disaster [--host NAME] [--overwrite]`, the TUI's guided recovery. */
export interface DisasterJobRequest {
  /** The old host's name; default: the interrupted recovery's, else this config's HOSTNAME. */
  host?: string;
  overwrite?: boolean;
  /** --from TARGET: the sync target to pull (default: [cloud_sync]'s). */
  from?: string;
  /** The guard (src/security/confirm.ts); without it the recovery is refused. */
  confirmation?: Confirmation;
}

/** The copy pulled: --from's target, else RCLONE_REMOTE:RCLONE_PATH, or none: the local repository is used as it is. */
export function disasterRemote(config: Config, from?: string): string | undefined {
  if (from !== undefined) return targetWhere(namedTarget(config, from, "--from"));
  return config.cloud.remote ? `${config.cloud.remote}:${config.cloud.path}` : undefined;
}

/** The action the recovery confirms (and the guard logs). */
export function disasterAction(config: Config, req: Pick<DisasterJobRequest, "host" | "overwrite" | "from">): string {
  return `recover the whole Docker host${req.host ? ` ${req.host}` : ""} from ${disasterRemote(config, req.from) ?? "the repository"} onto this machine${req.overwrite ? " (overwriting what exists)" : ""}`;
}

/**
 * The disaster job: the confirmation first, then under the repository lock the recovery of
 * interrupted runs — not preflight: with the embedded default it would create an empty repository
 * where the cloud copy goes — and the recovery (which reads the catalog afresh itself).
 */
export async function disasterJob(
  ctx: ServiceContext,
  req: DisasterJobRequest,
  hooks: JobHooks,
): Promise<DisasterReport> {
  requireConfirmation(ctx, disasterAction(ctx.config, req), req.confirmation);
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await recoverInterrupted(ctx, hooks.emit);
    return disasterRestore(
      ctx,
      {
        host: req.host,
        overwrite: req.overwrite,
        noPull: req.from === undefined && !ctx.config.cloud.remote,
        from: req.from === undefined ? undefined : namedTarget(ctx.config, req.from, "--from"),
        retryBaseMs: retryBase(),
        stallTimeoutMs: stallTimeout(),
        settleTimeoutMs: Number(process.env.BACKUP_TUI_SETTLE_TIMEOUT_MS) || undefined,
        signal,
      },
      hooks.emit,
    );
  });
}
