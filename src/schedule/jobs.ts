import type { Config } from "../config/types";
import type { RunKind } from "../state/store";
import { parseSchedule, type Schedule } from "./cron";

/** One scheduled job: what the daemon, a systemd timer or a cron line runs, and when. */
export interface Job {
  /** backup, backup:NAME, sync, sync:TARGET, verify, prune, doomsday: also the systemd unit's suffix. */
  id: string;
  kind: RunKind | "doomsday";
  /** Where the schedule comes from, for messages: "[schedule] BACKUP". */
  key: string;
  schedule: Schedule;
  /** backup-tui's arguments (after any --config). */
  args: string[];
  stack?: string;
  /** Why it cannot run here (no cloud remote, not built); undefined when it can. */
  unavailable?: string;
}

/** How long a scheduled job waits for a busy repository before it gives up (exit 75). */
export const WAIT = "1h";

/** Every job the configuration asks for, in a stable order (global jobs first, then stacks by name). */
export function jobsOf(config: Config): Job[] {
  const jobs: Job[] = [];
  // A scheduled job that finds the repository busy (a restore by hand, a long sync) waits its turn.
  const add = (
    id: string,
    kind: Job["kind"],
    key: string,
    expr: string | undefined,
    args: string[],
    extra: Partial<Job> = {},
  ) => {
    if (expr)
      jobs.push({
        id,
        kind,
        key,
        schedule: parseSchedule(expr),
        args: args.length ? [...args, "--wait", WAIT] : [],
        ...extra,
      });
  };
  const s = config.schedule;
  add("backup", "backup", "[schedule] BACKUP", s.backup, ["backup", "--scheduled"]);
  // `sync` writes the targets without a SCHEDULE of their own; each of those has its sync:NAME.
  const shared = config.targets.filter((t) => !t.schedule);
  add("sync", "sync", "[schedule] SYNC", s.sync, ["sync", "--scheduled"], {
    unavailable: shared.length
      ? undefined
      : config.targets.length
        ? "every sync target has its own SCHEDULE"
        : "no [cloud_sync] RCLONE_REMOTE is set",
  });
  add("verify", "verify", "[schedule] VERIFY", s.verify, [
    "verify",
    "--scheduled",
    "--level",
    config.verification.depth,
  ]);
  add("prune", "prune", "[schedule] PRUNE", s.prune, ["forget", "--prune", "--scheduled"]);
  add("doomsday", "doomsday", "[schedule] DOOMSDAY", s.doomsday, ["backup", "--doomsday", "--scheduled"]);
  for (const t of config.targets)
    add(`sync:${t.name}`, "sync", `[${t.section}] SCHEDULE`, t.schedule, ["sync", "--scheduled", "--to", t.name]);
  for (const name of Object.keys(config.stacks).sort()) {
    add(
      `backup:${name}`,
      "backup",
      `[stack:${name}] SCHEDULE`,
      config.stacks[name].schedule,
      ["backup", "--scheduled", name],
      { stack: name },
    );
  }
  // Switched off by hand: kept in the config, never run, installed or armed.
  const paused = new Set(pausedJobs(config));
  for (const j of jobs) if (paused.has(j.id)) j.unavailable = "paused ([schedule] PAUSED)";
  return jobs;
}

/** The job ids [schedule] PAUSED switches off. */
export function pausedJobs(config: Config): string[] {
  return (config.schedule.paused ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Stacks with a SCHEDULE of their own: the global BACKUP job leaves them to it. */
export function ownScheduleStacks(config: Config): Set<string> {
  return new Set(
    Object.entries(config.stacks)
      .filter(([, s]) => s.schedule)
      .map(([name]) => name),
  );
}

/** The job a `--scheduled` command line belongs to. */
export function jobIdFor(kind: "backup" | "sync" | "verify" | "prune", stacks: string[] = []): string {
  return kind === "backup" && stacks.length === 1 ? `backup:${stacks[0]}` : kind;
}
