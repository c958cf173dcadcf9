import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface LocalRepoFacts {
  exists: boolean;
  /** The repository's config file (written once at init): equal files mean the same repository. */
  config?: string;
  snapshots: number;
  /** The names in snapshots/ (restic names each snapshot's file by its ID). */
  snapshotFiles: string[];
}

/** What a local restic repository's directory says, without opening it. */
export function localRepoFacts(dir: string): LocalRepoFacts {
  const configFile = join(dir, "config");
  if (!existsSync(configFile)) return { exists: false, snapshots: 0, snapshotFiles: [] };
  let snapshotFiles: string[] = [];
  try {
    snapshotFiles = readdirSync(join(dir, "snapshots"));
  } catch {
    // no snapshots yet
  }
  return { exists: true, config: readFileSync(configFile, "utf8"), snapshots: snapshotFiles.length, snapshotFiles };
}

/** True when dir is missing or empty. */
export function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}

/** Bytes a local repository takes on disk (file sizes; packs are large, so this is a quick walk). */
export function localRepoBytes(dir: string): number | undefined {
  if (!existsSync(join(dir, "config"))) return undefined;
  let total = 0;
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) total += lstatSync(p).size;
    }
  };
  visit(dir);
  return total;
}
