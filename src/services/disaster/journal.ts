import { removeFile } from "../../fsops/private-files";
import { pathExists, readText } from "../../fsops/probe";
import { join } from "node:path";
import { writeJsonAtomic } from "../../state/atomic-file";

/**
 * The disaster-restore journal (STATE/disaster/journal.json): what existed on the host before
 * the recovery began (never touched without --overwrite), what the recovery created, and the
 * steps it completed. A rerun after an interruption reads it and continues.
 *
 * Nothing is written until the recovery is accepted (commit(): the conflict check passed, it is
 * about to change the host). A run refused before that leaves no journal, so the next run starts
 * afresh instead of skipping a pull whose copy may be gone.
 */
export interface DisasterJournalData {
  startedAt: string;
  /** The doomsday snapshot being recovered (fixed by the first run). */
  snapshot?: string;
  host?: string;
  preexisting?: { networks: string[]; volumes: string[]; containers: string[]; dirs: string[]; paths?: string[] };
  created: { networks: string[]; volumes: string[] };
  done: string[];
  /** Set once the recovery passed its conflict check: only such a journal is continued. */
  committed?: boolean;
  completedAt?: string;
}

export class DisasterJournal {
  readonly file: string;
  data: DisasterJournalData;

  constructor(stateDir: string) {
    this.file = join(stateDir, "disaster", "journal.json");
    this.data = { startedAt: new Date().toISOString(), created: { networks: [], volumes: [] }, done: [] };
    if (pathExists(this.file)) {
      try {
        const read = JSON.parse(readText(this.file)) as DisasterJournalData;
        // A finished recovery is history: a new run starts afresh (and sees what it restored as existing).
        // One never accepted (a refused run of an older version) is discarded, unless it already changed the host.
        if (!read.completedAt && (read.committed || changedHost(read))) this.data = { ...read, committed: true };
      } catch {
        // unreadable (never happens with atomic writes): start afresh
      }
    }
  }

  get resumed(): boolean {
    return !!this.data.committed && (this.data.done.length > 0 || !!this.data.preexisting);
  }

  isDone(step: string): boolean {
    return this.data.done.includes(step);
  }

  /**
   * Runs a step once. A step an earlier run completed is skipped only when `stillThere` (its
   * result checked now) says so; otherwise it runs again. `onRedo` hears about such a step.
   */
  async step<T>(
    id: string,
    fn: () => Promise<T>,
    stillThere?: () => Promise<boolean> | boolean,
    onRedo?: (id: string) => void,
  ): Promise<T | undefined> {
    if (this.isDone(id)) {
      if (!stillThere || (await stillThere())) return undefined;
      onRedo?.(id);
      this.data.done = this.data.done.filter((d) => d !== id);
      this.save();
    }
    const r = await fn();
    this.data.done.push(id);
    this.save();
    return r;
  }

  /** The recovery is accepted: from now on every step is written down. */
  commit(): void {
    this.data.committed = true;
    this.save();
  }

  save(): void {
    if (this.data.committed) writeJsonAtomic(this.file, this.data);
  }

  complete(): void {
    this.data.completedAt = new Date().toISOString();
    this.save();
  }

  static clear(stateDir: string): void {
    removeFile(join(stateDir, "disaster", "journal.json"));
  }
}

/** A journal of an older version that created something or went past the pull: it was accepted. */
function changedHost(d: DisasterJournalData): boolean {
  return d.created.networks.length > 0 || d.created.volumes.length > 0 || d.done.some((s) => s !== "pull");
}
