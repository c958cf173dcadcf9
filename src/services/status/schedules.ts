import { DirlistFile } from "../../docker/dirlist";
import { describe, nextRuns } from "../../schedule/cron";
import { jobsOf } from "../../schedule/jobs";
import type { RunRow } from "../../state/store";
import type { ServiceContext } from "../run/context";

/** One scheduled job as `schedule list` and the TUI's Schedules screen show it. */
export interface ScheduleRow {
  /** backup, backup:NAME, sync, verify, prune, doomsday. */
  id: string;
  /** Where it is set: "[schedule] BACKUP", "[stack:web] SCHEDULE". */
  key: string;
  cron: string;
  /** The schedule in words: "every day at 03:00". */
  description: string;
  stack?: string;
  enabled: boolean;
  /** Why it does not run: unavailable here, or its stack is disabled in the dirlist. */
  why?: string;
  /** The next few run times (ISO), when enabled. */
  next: string[];
  /** Its newest run (a skipped one included). */
  last?: RunRow;
}

/** Every configured job with its last run and its next `count` runs. */
export function scheduleRows(ctx: ServiceContext, count = 1, now: Date = new Date()): ScheduleRow[] {
  const enabled = new Set(new DirlistFile(ctx.config.dirlistFile).enabledKeys());
  return jobsOf(ctx.config).map((j) => {
    const why =
      j.unavailable ?? (j.stack && !enabled.has(j.stack) ? `${j.stack} is disabled in the dirlist` : undefined);
    return {
      id: j.id,
      key: j.key,
      cron: j.schedule.expr,
      description: describe(j.schedule),
      stack: j.stack,
      enabled: !why,
      why,
      next: why ? [] : nextRuns(j.schedule, count, now).map((d) => d.toISOString()),
      last: ctx.store.runs({ job: j.id, limit: 1 })[0],
    };
  });
}
