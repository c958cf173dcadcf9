import type { Confirmation } from "../security/confirm";
import { requireConfirmation } from "../security/confirm";
import { targetWhere } from "../config/targets";
import { applyRetention, type RetentionResult } from "../services/retention/retention";
import type { ServiceContext } from "../services/run/context";
import { namedTarget, targetRepository } from "../services/sync/target-repository";
import type { JobHooks } from "./hooks";

// Retention of a copy from a trusted machine: the Docker host writes its append-only copies but
// cannot delete there; a machine it cannot reach (a laptop, a NAS), with a config naming only
// that target and credentials that may delete, applies the keep policy there and prunes.

export const forgetRemoteAction = (target: string, prune?: boolean): string =>
  `apply retention to the copy at sync target ${target}${prune ? " and prune it" : ""}`;

export interface ForgetRemoteReport {
  target: string;
  where: string;
  dryRun: boolean;
  pruned: boolean;
  results: RetentionResult[];
}

/**
 * `forget --remote NAME [--prune] [--dry-run]`: the target's repository opened directly (restic's
 * rclone backend over a mirror or append copy, or the restic target), the keep policy applied per
 * host and stack ([stack:NAME] KEEP_* where this config has them; never `protected`), then one
 * prune. Guarded like forget; restic's own exclusive lock on that repository keeps two apart.
 */
export async function forgetRemoteJob(
  ctx: ServiceContext,
  req: { target: string; dryRun?: boolean; prune?: boolean; confirmation?: Confirmation },
  hooks: Pick<JobHooks, "signal">,
): Promise<ForgetRemoteReport> {
  const target = namedTarget(ctx.config, req.target, "--remote");
  if (!req.dryRun) requireConfirmation(ctx, forgetRemoteAction(target.name, req.prune), req.confirmation);
  const { repository, password } = targetRepository(target);
  const remote: ServiceContext = { ...ctx, restic: ctx.resticFor(repository, password) };
  const snapshots = await remote.restic.snapshots({ tags: ["backup-tui", "kind:stack"], signal: hooks.signal });
  const stacks = [
    ...new Set(snapshots.flatMap((s) => s.tags.filter((t) => t.startsWith("stack:")).map((t) => t.slice(6)))),
  ].sort();
  const results = await applyRetention(remote, stacks, {
    dryRun: req.dryRun,
    prune: !!req.prune,
    signal: hooks.signal,
  });
  return {
    target: target.name,
    where: targetWhere(target),
    dryRun: !!req.dryRun,
    pruned: !req.dryRun && !!req.prune && results.some((r) => r.removed.length > 0),
    results,
  };
}
