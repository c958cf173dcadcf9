import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../state/atomic-file";

/**
 * The disaster-restore journal (STATE/disaster/journal.json): what existed on the host before
 * the recovery began (never touched without --overwrite), what the recovery created, and the
 * steps it completed. A rerun after an interruption reads it and continues.
 */
export interface DisasterJournalData {
  startedAt: string;
  /** The doomsday snapshot being recovered (fixed by the first run). */
  snapshot?: string;
  host?: string;
  preexisting?: { networks: string[]; volumes: string[]; containers: string[]; dirs: string[] };
  created: { networks: string[]; volumes: string[] };
  done: string[];
  completedAt?: string;
}

export class DisasterJournal {
  readonly file: string;
  data: DisasterJournalData;

  constructor(stateDir: string) {
    this.file = join(stateDir, "disaster", "journal.json");
    this.data = { startedAt: new Date().toISOString(), created: { networks: [], volumes: [] }, done: [] };
    if (existsSync(this.file)) {
      try {
        const read = JSON.parse(readFileSync(this.file, "utf8")) as DisasterJournalData;
        // A finished recovery is history: a new run starts afresh (and sees what it restored as existing).
        if (!read.completedAt) this.data = read;
      } catch {
        // unreadable (never happens with atomic writes): start afresh
      }
    }
  }

  get resumed(): boolean {
    return this.data.done.length > 0 || !!this.data.preexisting;
  }

  isDone(step: string): boolean {
    return this.data.done.includes(step);
  }

  /** Runs a step once: skipped when a previous run completed it. */
  async step<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.isDone(id)) return undefined;
    const r = await fn();
    this.data.done.push(id);
    this.save();
    return r;
  }

  save(): void {
    writeJsonAtomic(this.file, this.data);
  }

  complete(): void {
    this.data.completedAt = new Date().toISOString();
    this.save();
  }

  static clear(stateDir: string): void {
    rmSync(join(stateDir, "disaster", "journal.json"), { force: true });
  }
}
