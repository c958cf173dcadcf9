import type { Config } from "../../config/types";
import { jobsOf, pausedJobs } from "../../schedule/jobs";
import { policyKeepsSomething as keepsSomething } from "../retention/retention";

/** A problem the loader cannot see in one key: a schedule that cannot succeed, a section naming nothing. */
export interface ConfigFinding {
  level: "error" | "warning";
  message: string;
}

/**
 * What `config validate` and `doctor` know statically about the scheduled jobs (and the settings
 * they act on) that would fail or do nothing every time they run. Each names its keys.
 */
export function scheduleFindings(config: Config): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  const error = (message: string) => out.push({ level: "error", message });
  const warning = (message: string) => out.push({ level: "warning", message });
  const jobs = jobsOf(config);
  const active = (id: string) => jobs.some((j) => j.id === id && !j.unavailable);
  const pruning = active("prune");

  const emptyPolicies = [
    ...(keepsSomething(config.retention.keep) ? [] : ["[local_backup] KEEP_*"]),
    ...Object.entries(config.stacks)
      .filter(([, s]) => s.keep && !keepsSomething(s.keep))
      .map(([name]) => `[stack:${name}] KEEP_*`),
  ];
  for (const where of emptyPolicies) {
    const fails = [
      pruning && "the [schedule] PRUNE job",
      config.retention.autoPrune && "every backup's retention ([local_backup] AUTO_PRUNE)",
    ].filter(Boolean);
    const what = `${where}: the keep policy keeps no snapshot (every KEEP_* is 0)`;
    if (fails.length)
      error(
        `${what}, so ${fails.join(" and ")} cannot succeed; set at least one KEEP_* above 0 (the defaults are KEEP_DAILY=7, KEEP_WEEKLY=4, KEEP_MONTHLY=12, KEEP_YEARLY=3)`,
      );
    else warning(`${what}: \`forget\` would refuse it`);
  }
  if (config.schedule.sync && !config.cloud.remote)
    error(
      "[schedule] SYNC is set but [cloud_sync] RCLONE_REMOTE is not: the sync job cannot run (set the remote, or remove SYNC)",
    );
  const known = new Set(jobs.map((j) => j.id));
  for (const id of pausedJobs(config))
    if (!known.has(id))
      warning(
        `[schedule] PAUSED: ${JSON.stringify(id)} is no scheduled job (the jobs are ${[...known].join(", ") || "none"})`,
      );
  if (config.space.lowSpaceAction === "prune" && config.space.minFreePercent === undefined)
    warning("[local_backup] LOW_SPACE_ACTION=prune has no effect without MIN_FREE_PERCENT");
  const limits = config.space.maxRepoSize !== undefined || config.space.minFreePercent !== undefined;
  if (config.space.notifyBeforeDelete && limits && !pruning) {
    warning(
      "[local_backup] NOTIFY_BEFORE_DELETE makes space deletions pending until the PRUNE job forgets them, but no [schedule] PRUNE job runs: they wait for `forget --prune` by hand",
    );
  }
  return out;
}

/**
 * [stack:NAME] sections that name no stack found here. `stacks` is what discovery found (stack and
 * project names); undefined when it could not look (no readable DOCKER_STACKS_DIR, no Docker), so nothing is said.
 */
export function stackSectionFindings(config: Config, stacks: string[] | undefined, scope = "found"): ConfigFinding[] {
  if (!stacks) return [];
  const known = new Set(stacks);
  return Object.keys(config.stacks)
    .filter((name) => !known.has(name))
    .map((name) => ({
      level: "warning" as const,
      message: `[stack:${name}]: no stack named ${name} is ${scope}; its settings apply to nothing (a typo, or a stack that was removed?)`,
    }));
}
