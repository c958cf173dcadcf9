import type { Config } from "../../config/types";

/**
 * Whether this host takes the repository's exclusive lock (retention, prune, check, tag changes):
 * always on a repository of its own; on one several hosts share ([local_backup] PRUNE_HOST), only
 * the prune host. The restic wrapper refuses the others (src/restic/restic.ts): this is what the
 * automatic steps ask first, to leave such work to the prune host instead of failing.
 */
export function takesExclusiveLock(config: Pick<Config, "fleet" | "hostname">): boolean {
  return !config.fleet.pruneHost || config.fleet.pruneHost === config.hostname;
}

/** Why an automatic step that needs the exclusive lock was left to the prune host. */
export const leftToPruneHost = (config: Pick<Config, "fleet">, what: string): string =>
  `${what}: left to PRUNE_HOST ${config.fleet.pruneHost} (this repository is shared)`;
