import type { KeyDefs, SectionValues } from "./key-def";
import { cron, duration, jobList } from "./values";

/** [schedule]: when the daemon (or the installed timers) run each job. */
export const SCHEDULE_KEYS = {
  BACKUP: {
    schema: cron,
    cron: true,
    description:
      "When enabled stacks are backed up: cron (minute hour day month weekday; 6 fields with seconds first; or @daily...). Stacks with their own SCHEDULE are left to it.",
    example: "0 3 * * *",
  },
  SYNC: {
    schema: cron,
    cron: true,
    description: "When the repository is synced to the cloud (needs [cloud_sync]).",
    example: "0 5 * * *",
  },
  VERIFY: {
    schema: cron,
    cron: true,
    description:
      "When the repository is verified, at VERIFICATION_DEPTH (files: restores each stack's newest snapshot and loads its database dumps).",
    example: "0 6 * * 0",
  },
  PRUNE: {
    schema: cron,
    cron: true,
    description:
      "When the keep policy is applied and unused data pruned (no confirmation asked: the policy is the consent).",
    example: "30 4 * * 0",
  },
  OVERDUE_AFTER: {
    schema: duration("36h or 8d"),
    description:
      "A stack whose last good backup is older than this is overdue (status, notification). Default: twice the longest gap of its schedule.",
    example: "36h",
  },
  DOOMSDAY: {
    schema: cron,
    cron: true,
    description:
      "When the full-host (doomsday) backup runs: `backup --doomsday`, every stack plus the host's Docker world and the recovery kit.",
    example: "0 1 * * 0",
  },
  PAUSED: {
    schema: jobList,
    description:
      "Scheduled jobs switched off without losing their schedule (comma list of backup, sync, verify, prune, doomsday, backup:NAME): the daemon does not run them, `schedule install` leaves them out, `schedule list` says so. The TUI's Schedules screen toggles it.",
    example: "sync, backup:db",
  },
} satisfies KeyDefs;

/** Config.schedule from the [schedule] keys. */
export function scheduleSettings(k: SectionValues<typeof SCHEDULE_KEYS>) {
  return {
    backup: k.BACKUP,
    sync: k.SYNC,
    verify: k.VERIFY,
    prune: k.PRUNE,
    doomsday: k.DOOMSDAY,
    overdueAfter: k.OVERDUE_AFTER,
    paused: k.PAUSED,
  };
}
