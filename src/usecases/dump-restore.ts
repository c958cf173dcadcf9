import { format } from "../format";
import { requireConfirmation, type Confirmation } from "../security/confirm";
import { planDumpRestore, restoreDump, type DumpRestorePlan, type DumpRestoreReport } from "../services/dumps/restore";
import type { ServiceContext } from "../services/run/context";
import { preflight } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import { refreshCatalog } from "../services/snapshots/catalog";
import type { CatalogSnapshot } from "../state/catalog";
import type { JobHooks } from "./hooks";

/** `restore --stack NAME --dump SERVICE`: a database loaded back from its dump in a snapshot. */
export interface DumpRestoreJobRequest {
  stack: string;
  service: string;
  snapshot: CatalogSnapshot;
  host?: string;
  /** The guard (src/security/confirm.ts); without it the load is refused. */
  confirmation?: Confirmation;
}

/** The action the load confirms (and the guard logs). */
export function dumpRestoreAction(req: Pick<DumpRestoreJobRequest, "stack" | "service" | "snapshot">): string {
  return `load ${req.service}'s database dump from snapshot ${req.snapshot.shortId} (${format.when(req.snapshot.time)}) into the running ${req.service} of ${req.stack}`;
}

/** `--dry-run`: the load's own checks and what it would do; nothing is fetched, dumped or loaded (no lock). */
export function previewDumpRestoreJob(
  ctx: ServiceContext,
  req: DumpRestoreJobRequest,
  hooks: Pick<JobHooks, "signal">,
): Promise<DumpRestorePlan> {
  return planDumpRestore(ctx, serviceRequest(req, hooks.signal));
}

/**
 * The dump restore job: the confirmation first, then under the repository lock preflight (a
 * database an interrupted run left stopped is started again first), the load, the catalog refreshed.
 */
export async function dumpRestoreJob(
  ctx: ServiceContext,
  req: DumpRestoreJobRequest,
  hooks: JobHooks,
): Promise<DumpRestoreReport> {
  requireConfirmation(ctx, dumpRestoreAction(req), req.confirmation);
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await preflight(ctx, hooks.emit, signal);
    const report = await restoreDump(ctx, serviceRequest(req, signal), hooks.emit);
    await refreshCatalog(ctx).catch(() => undefined);
    return report;
  });
}

function serviceRequest(req: DumpRestoreJobRequest, signal: AbortSignal) {
  return { stack: req.stack, service: req.service, snapshot: req.snapshot, host: req.host, signal };
}
