import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface LocalRepoFacts {
  exists: boolean;
  /** The repository's config file (written once at init): equal files mean the same repository. */
  config?: string;
  snapshots: number;
}

/** What a local restic repository's directory says, without opening it. */
export function localRepoFacts(dir: string): LocalRepoFacts {
  const configFile = join(dir, "config");
  if (!existsSync(configFile)) return { exists: false, snapshots: 0 };
  let snapshots = 0;
  try {
    snapshots = readdirSync(join(dir, "snapshots")).length;
  } catch {
    // no snapshots yet
  }
  return { exists: true, config: readFileSync(configFile, "utf8"), snapshots };
}

/** True when dir is missing or empty. */
export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}
