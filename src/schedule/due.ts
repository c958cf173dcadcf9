import type { Config } from "../config/types";
import { parseDuration } from "../duration";
import type { StackResultRow } from "../state/store";
import { longestInterval, nextRuns, parseSchedule } from "./cron";
import { pausedJobs } from "./jobs";

/** A scheduled stack: when it runs next, and whether its last good backup is too old. */
export interface StackDue {
  stack: string;
  /** The job that backs it up: backup:NAME (its own SCHEDULE) or backup. */
  job: string;
  schedule: string;
  next?: string;
  lastGood?: string;
  /** The newest attempt's result. */
  lastStatus?: StackResultRow["status"];
  /** Overdue once the last good backup is older than this. */
  thresholdMs: number;
  overdue: boolean;
}

/**
 * Due dates for the stacks a schedule covers: those the dirlist enables, under their own SCHEDULE
 * or the [schedule] BACKUP run. A stack that was tried but never backed up well is
 * overdue at once; one never tried yet is not (it has not had its first turn).
 */
export function stacksDue(
  config: Config,
  enabled: Iterable<string>,
  last: Map<string, { last: StackResultRow; lastGood?: StackResultRow }>,
  now: Date = new Date(),
): StackDue[] {
  // A scheduled backup follows the dirlist (a disabled stack's own SCHEDULE is skipped too).
  const names = new Set(enabled);
  const fixed = config.schedule.overdueAfter
    ? parseDuration(config.schedule.overdueAfter, "[schedule] OVERDUE_AFTER")
    : undefined;
  const out: StackDue[] = [];
  const paused = new Set(pausedJobs(config));
  for (const stack of [...names].sort()) {
    const own = config.stacks[stack]?.schedule;
    const expr = own ?? config.schedule.backup;
    if (!expr || paused.has(own ? `backup:${stack}` : "backup")) continue;
    const schedule = parseSchedule(expr);
    const thresholdMs = fixed ?? 2 * longestInterval(schedule, now);
    const l = last.get(stack);
    const age = l?.lastGood ? now.getTime() - Date.parse(l.lastGood.startedAt) : undefined;
    out.push({
      stack,
      job: own ? `backup:${stack}` : "backup",
      schedule: expr,
      next: nextRuns(schedule, 1, now)[0]?.toISOString(),
      lastGood: l?.lastGood?.startedAt,
      lastStatus: l?.last.status,
      thresholdMs,
      overdue: age !== undefined ? age > thresholdMs : !!l,
    });
  }
  return out;
}
