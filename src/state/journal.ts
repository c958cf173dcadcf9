import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomic-file";
import type { Owner } from "./process-info";

export interface JournalContainer {
  id: string;
  name: string;
  service?: string;
  /** What we did to it: stopped (start it again) or paused (unpause it). */
  action: "stopped" | "paused";
  /** Dependency depth: 0 starts first. */
  level?: number;
}

/** Written before anything is stopped; removed once it all runs again. */
export interface JournalEntry {
  id: string;
  runId: number | string;
  stack: string;
  strategy: string;
  project?: string;
  workingDir?: string;
  configFiles?: string[];
  envFiles?: string[];
  profiles?: string[];
  containers: JournalContainer[];
  /** Filesystem snapshots (the snapshot strategy) to delete: written before they are made. */
  fsSnapshots?: Array<{ provider: string; path: string }>;
  owner: Owner;
  writtenAt: string;
}

/** The stop journal: one JSON file per stopped stack under <state>/journal, written atomically. */
export class StopJournal {
  private readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, "journal");
  }

  write(entry: JournalEntry): void {
    writeJsonAtomic(join(this.dir, `${safe(entry.id)}.json`), entry);
  }

  remove(id: string): void {
    rmSync(join(this.dir, `${safe(id)}.json`), { force: true });
  }

  list(): JournalEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const out: JournalEntry[] = [];
    for (const n of names) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, n), "utf8")) as JournalEntry);
      } catch {
        // A torn write never reaches *.json (rename is atomic); ignore anything unreadable.
      }
    }
    return out;
  }
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, "_");
}
