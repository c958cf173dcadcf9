import type { CommandEnv } from "../app";
import { pausedJobs } from "../schedule/jobs";
import type { ServiceContext } from "../services/run/context";
import type { RunKind } from "../state/store";

/**
 * The start of a `--scheduled` run: records which job it is, or — when that job is paused
 * ([schedule] PAUSED) — records it skipped and says so, so a timer or cron line installed before
 * the pause does nothing. True when the run goes on.
 */
export function startScheduled(env: CommandEnv, ctx: ServiceContext, kind: RunKind, job: string): boolean {
  if (pausedJobs(ctx.config).includes(job)) {
    ctx.store.recordSkipped(kind, job, "paused ([schedule] PAUSED)", ctx.owner);
    env.printer.info(`${job} is paused ([schedule] PAUSED): nothing done`);
    return false;
  }
  ctx.store.setScheduledJob(job);
  return true;
}
