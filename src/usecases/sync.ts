import { type SyncTarget, targetWhere } from "../config/targets";
import { ExitCode, UsageError, errorMessage } from "../errors";
import { type Confirmation, requireConfirmation } from "../security/confirm";
import { pushKit } from "../services/doomsday/doomsday";
import type { ServiceContext } from "../services/run/context";
import { preflight } from "../services/run/preflight";
import { withRunLock } from "../services/run/repository-lock";
import { localCheckOnce, syncTarget, type SyncReport, type SyncRequest } from "../services/sync/sync";
import { namedTarget } from "../services/sync/target-repository";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";
import type { JobHooks } from "./hooks";

export interface SyncJobRequest extends Pick<SyncRequest, "dryRun" | "bwlimit" | "transfers" | "force"> {
  /** One target by name (default: every target; a scheduled `sync` job: those without their own SCHEDULE). */
  to?: string;
  /** The `sync` schedule's run: targets with their own SCHEDULE are left to it. */
  scheduled?: boolean;
  /** --accept-loss: the target's tamper alarm is acknowledged (guarded like a deletion). */
  acceptLoss?: Confirmation;
}

export interface SyncJobReport {
  /** One report per target, in config order. */
  targets: SyncReport[];
  /** Where the recovery kit was copied beside the copies (none: dry run, failed syncs, no kit). */
  kits: string[];
  /** A kit that could not be copied: the syncs themselves stand. */
  kitWarnings: string[];
  /** The first failing target's exit code, 0 when every target synced. */
  exitCode: number;
}

export const acceptLossAction = (target: string): string =>
  `accept the loss at sync target ${target} (its present state becomes the reference)`;

/** The targets a sync writes: one by name, every target, or the `sync` schedule's (no own SCHEDULE). */
export function syncTargets(ctx: ServiceContext, req: Pick<SyncJobRequest, "to" | "scheduled">): SyncTarget[] {
  if (req.to !== undefined) return [namedTarget(ctx.config, req.to, "--to")];
  const all = ctx.config.targets;
  if (!all.length) namedTarget(ctx.config, true, "sync");
  return req.scheduled ? all.filter((t) => !t.schedule) : all;
}

/**
 * `backup-tui sync`, the TUI's sync, the schedules': under the repository lock (never while a
 * backup writes it), after preflight, each target in turn — a failing one does not stop the
 * others — then the recovery kit beside each rclone copy (REMOTE:PATH.kit), readable without
 * the password.
 */
export async function syncJob(ctx: ServiceContext, req: SyncJobRequest, hooks: JobHooks): Promise<SyncJobReport> {
  const targets = syncTargets(ctx, req);
  if (req.acceptLoss !== undefined) {
    if (targets.length !== 1 || req.to === undefined)
      throw new UsageError("--accept-loss is for one target: name it with --to NAME");
    requireConfirmation(ctx, acceptLossAction(targets[0].name), req.acceptLoss);
  }
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await preflight(ctx, hooks.emit, signal);
    const base: SyncRequest = {
      dryRun: req.dryRun,
      bwlimit: req.bwlimit,
      transfers: req.transfers,
      force: req.force,
      acceptLoss: req.acceptLoss !== undefined,
      retryBaseMs: retryBase(),
      stallTimeoutMs: stallTimeout(),
      signal,
    };
    const checkLocal = localCheckOnce(ctx, signal, hooks.emit);
    const report: SyncJobReport = { targets: [], kits: [], kitWarnings: [], exitCode: ExitCode.ok };
    for (const target of targets) {
      const r = await syncTarget(ctx, target, base, hooks.emit, checkLocal);
      report.targets.push(r);
      if (r.exitCode && !report.exitCode) report.exitCode = r.exitCode;
      if (req.dryRun || r.exitCode || target.mode === "restic") continue;
      try {
        const kit = await pushKit(ctx, signal, target);
        if (kit) {
          report.kits.push(kit);
          hooks.emit({ type: "info", message: `recovery kit copied to ${kit}` });
        }
      } catch (err) {
        report.kitWarnings.push(
          `the recovery kit was not copied beside ${target.name} (${targetWhere(target)}): ${errorMessage(err)}`,
        );
      }
    }
    return report;
  });
}
