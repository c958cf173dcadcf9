import type { CommandEnv } from "../app";
import { pausedJobs } from "../schedule/jobs";
import type { ServiceContext } from "../services/run/context";
import { leftToPruneHost, takesExclusiveLock } from "../services/fleet/shared";
import type { RunKind } from "../state/store";

/**
 * The start of a `--scheduled` run: records which job it is, or — when that job is paused
 * ([schedule] PAUSED) — records it skipped and says so, so a timer or cron line installed before
 * the pause does nothing; the same for a job that needs the exclusive lock of a shared repository
 * on a host that is not its PRUNE_HOST. True when the run goes on.
 */
export function startScheduled(
  env: CommandEnv,
  ctx: ServiceContext,
  kind: RunKind,
  job: string,
  o: { exclusive?: boolean } = {},
): boolean {
  // A job that needs the exclusive lock of a repository other hosts share is the prune host's.
  if (o.exclusive && !takesExclusiveLock(ctx.config)) {
    const reason = leftToPruneHost(ctx.config, job);
    ctx.store.recordSkipped(kind, job, reason, ctx.owner);
    env.printer.info(`${reason}: nothing done`);
    return false;
  }
  if (pausedJobs(ctx.config).includes(job)) {
    ctx.store.recordSkipped(kind, job, "paused ([schedule] PAUSED)", ctx.owner);
    env.printer.info(`${job} is paused ([schedule] PAUSED): nothing done`);
    return false;
  }
  ctx.store.setScheduledJob(job);
  return true;
}
