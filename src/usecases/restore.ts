import { format } from "../format";
import { requireConfirmation, type Confirmation } from "../security/confirm";
import {
  planRestore,
  type RestorePlan,
  type RestoreReport,
  type RestoreRequest,
  restore,
} from "../services/restore/restore";
import type { ServiceContext } from "../services/run/context";
import { preflight } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import type { JobHooks } from "./hooks";

/**
 * `backup-tui restore --stack/--volume` and the TUI's restore: the service's request (a --target or
 * --dry-run restore takes no confirmation and no lock) and, in place, the guard
 * (src/security/confirm.ts): without it the restore is refused.
 */
export type RestoreJobRequest = Omit<RestoreRequest, "signal" | "oldHostPaths"> & { confirmation?: Confirmation };

/** "stack web", "volume data", "/srv/x of stack web": the words of both faces and of the log. */
export function restoreLabel(req: Pick<RestoreJobRequest, "scope" | "file">): string {
  const what = req.scope.kind === "stack" ? `stack ${req.scope.stack}` : `volume ${req.scope.volume}`;
  return `${req.file ? `${req.file} of ` : ""}${what}`;
}

/** The action an in-place restore confirms (and the guard logs); live: the paths it replaces, when known. */
export function restoreAction(req: Pick<RestoreJobRequest, "scope" | "file" | "snapshot">, live?: string[]): string {
  const s = req.snapshot;
  return `restore ${restoreLabel(req)} from snapshot ${s.shortId} (${format.when(s.time)}) over the live data${live?.length ? `, replacing ${live.join(", ")}` : ""}`;
}

/** In place, before asking: the run's own checks, and the action to confirm naming every live path it replaces. */
export async function planInPlaceRestore(
  ctx: ServiceContext,
  req: RestoreJobRequest,
  signal: AbortSignal,
): Promise<{ plan: RestorePlan; action: string }> {
  const plan = await planRestore(ctx, serviceRequest(req, signal));
  return {
    plan,
    action: restoreAction(
      req,
      plan.mappings.map((m) => m.live),
    ),
  };
}

/**
 * The restore job. A dry run or a restore under a target touches nothing live: it runs as it is.
 * In place: the confirmation first (refused before anything is read or stopped), then under the
 * repository lock preflight and the restore (which adds its safety snapshot to the catalog).
 */
export async function restoreJob(ctx: ServiceContext, req: RestoreJobRequest, hooks: JobHooks): Promise<RestoreReport> {
  if (req.dryRun || req.target) return restore(ctx, serviceRequest(req, hooks.signal), hooks.emit);
  requireConfirmation(ctx, restoreAction(req), req.confirmation);
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await preflight(ctx, hooks.emit, signal);
    return restore(ctx, serviceRequest(req, signal), hooks.emit);
  });
}

function serviceRequest(req: RestoreJobRequest, signal: AbortSignal) {
  const { confirmation: _, ...rest } = req;
  return { ...rest, signal };
}
