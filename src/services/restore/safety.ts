import { lstatTree } from "../../fsops/tree";
import { errorMessage } from "../../errors";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";

/**
 * Below this much live data a hot pass cannot shorten the stop window: the final pass would read
 * it in milliseconds either way, and the hot pass costs a second restic process (~0.7 s of
 * repository open). Above it (bytes or entries, whichever is crossed first) the hot pass runs.
 */
export const HOT_PASS_MIN = { bytes: 32 << 20, entries: 5000 };

/** Whether the live paths hold enough for a hot pass to pay: counted with lstat, stopping as soon as a limit is crossed. */
export function worthAHotPass(paths: string[], min = HOT_PASS_MIN): boolean {
  let bytes = 0;
  let entries = 0;
  for (const root of paths) {
    try {
      for (const { stat } of lstatTree(root)) {
        bytes += stat.isFile() ? stat.size : 0;
        if (++entries >= min.entries || bytes >= min.bytes) return true;
      }
    } catch {
      // unreadable or vanished: the final pass reports it
    }
  }
  return false;
}

export interface SafetyOptions {
  /** The live paths replaced (nothing kept for an empty one). */
  paths: string[];
  tags: string[];
  scope: string;
  signal: AbortSignal;
}

/**
 * The safety snapshot of what a restore in place replaces (kind:pre-restore), in two passes like
 * a backup: `hot()` while the stack still runs (skipped when the data is small), then `final()`
 * once it is stopped, with the hot snapshot as parent so it reads only what changed since. The
 * final snapshot alone is the safety snapshot; the hot one is forgotten by `cleanup()`.
 */
export class SafetySnapshot {
  private hotId?: string;
  constructor(
    private readonly ctx: ServiceContext,
    private readonly o: SafetyOptions,
    private readonly emit: EventSink,
  ) {}

  async hot(): Promise<void> {
    if (!this.o.paths.length || !worthAHotPass(this.o.paths)) return;
    this.emit({
      type: "phase",
      stack: this.o.scope,
      phase: "safety-snapshot",
      detail: "hot pass while the stack runs",
    });
    this.hotId = (await this.pass("hot")).snapshotId;
  }

  /** The safety snapshot's id; undefined when nothing is replaced. */
  async final(): Promise<string | undefined> {
    if (!this.o.paths.length) return undefined;
    this.emit({
      type: "phase",
      stack: this.o.scope,
      phase: "safety-snapshot",
      detail: this.hotId ? "final pass (only what changed since the hot pass)" : undefined,
    });
    const time = new Date().toISOString();
    const { snapshotId, summary } = await this.pass("pre-restore", this.hotId);
    // Known to the catalog at once: no `restic snapshots` after the restore.
    this.ctx.store.catalog.add([
      {
        id: snapshotId,
        short_id: snapshotId.slice(0, 8),
        time,
        tree: "",
        paths: this.o.paths,
        hostname: this.ctx.config.hostname,
        tags: this.tags("pre-restore"),
        summary: { data_added: summary.data_added, total_bytes_processed: summary.total_bytes_processed },
      },
    ]);
    return snapshotId;
  }

  /** Forgets the hot pass's snapshot; a failure is a warning (it is only a leftover). */
  async cleanup(): Promise<void> {
    const id = this.hotId;
    if (!id) return;
    this.hotId = undefined;
    try {
      await this.ctx.restic.forget({ ids: [id] });
      this.ctx.store.targets.recordForgotten([id], new Date().toISOString());
    } catch (err) {
      this.emit({
        type: "warning",
        stack: this.o.scope,
        message: `could not forget the safety snapshot's hot pass ${id.slice(0, 8)} (kind:hot): ${errorMessage(err)}`,
      });
    }
  }

  private tags(kind: string): string[] {
    return [...this.o.tags, `kind:${kind}`, "trigger:manual"];
  }

  private pass(kind: "hot" | "pre-restore", parent?: string) {
    return this.ctx.restic.backup({
      paths: this.o.paths,
      host: this.ctx.config.hostname,
      tags: this.tags(kind),
      parent,
      signal: this.o.signal,
      timeoutMs: this.ctx.config.restic.backupTimeoutSec * 1000,
    });
  }
}
