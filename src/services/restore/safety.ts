import { dropOld, type SwapEntry, type SwapJournal } from "../../fsops/swap";
import { namespaceLauncher, privateMountsAllowed } from "../../fssnap/plan";
import { errorMessage } from "../../errors";
import { parentGone } from "../../restic/errors";
import type { BackupSummary } from "../../restic/json";
import { forgetHotSnapshots, worthAHotPass } from "../run/hot-pass";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";

export interface SafetyOptions {
  /** The live paths replaced (nothing kept for an empty one). */
  paths: string[];
  tags: string[];
  scope: string;
  signal: AbortSignal;
  /**
   * The hot pass's parent: this host's newest snapshot of what is restored over (the live data is
   * most like it), so restic reads only the files changed since instead of all of them.
   */
  parent?: string;
}

/**
 * The safety snapshot of what a restore in place replaces (kind:pre-restore), in two passes like
 * a backup: `hot()` while the stack still runs (skipped when the data is small), then a final
 * pass with the hot snapshot as parent, reading only what changed since. Where private mount
 * namespaces are allowed (root), the final pass is taken after the stack runs again (`takeKeptSafety`):
 * the swap moves the replaced data aside and keeps it, and restic reads it bound at its live
 * path; otherwise `final()` takes it in the stop window. The final snapshot alone is the safety
 * snapshot; the hot one is forgotten by `cleanup()`.
 */
export class SafetySnapshot {
  private hotId?: string;
  /** The final pass is taken after the start, from the data kept aside. */
  readonly afterStart: boolean;
  constructor(
    private readonly ctx: ServiceContext,
    private readonly o: SafetyOptions,
    private readonly emit: EventSink,
  ) {
    this.afterStart = o.paths.length > 0 && privateMountsAllowed();
  }

  async hot(): Promise<void> {
    if (!this.o.paths.length || !worthAHotPass(this.o.paths, this.ctx.hotPassMin)) return;
    this.emit({
      type: "phase",
      stack: this.o.scope,
      phase: "safety-snapshot",
      detail: "hot pass while the stack runs",
    });
    const pass = (parent?: string) =>
      this.ctx.restic.backup({
        ...this.request("hot"),
        parent,
        onProgress: (progress) => this.emit({ type: "progress", stack: this.o.scope, pass: "hot", progress }),
      });
    // A parent forgotten by hand only costs speed: the pass reads everything.
    const { snapshotId } = await pass(this.o.parent).catch((err) => {
      if (!this.o.parent || !parentGone(err) || this.o.signal.aborted) throw err;
      return pass(undefined);
    });
    this.hotId = snapshotId;
  }

  /** What a swap entry of a replaced path records, when the final pass comes after the start. */
  keepOld(live: string): SwapEntry["keepOld"] {
    if (!this.afterStart || !this.o.paths.includes(live)) return undefined;
    return { tags: safetyTags(this.o.tags), parent: this.hotId };
  }

  /** In the stop window: the safety snapshot's id; undefined when nothing is replaced or it comes after the start. */
  async final(): Promise<string | undefined> {
    if (!this.o.paths.length || this.afterStart) return undefined;
    this.emit({
      type: "phase",
      stack: this.o.scope,
      phase: "safety-snapshot",
      detail: this.hotId ? "final pass (only what changed since the hot pass)" : undefined,
    });
    const { snapshotId, summary } = await this.ctx.restic.backup({
      ...this.request("pre-restore"),
      parent: this.hotId,
    });
    recordSafety(this.ctx, snapshotId, this.o.paths, safetyTags(this.o.tags), summary);
    return snapshotId;
  }

  /** Forgets the hot pass's snapshot; a failure is a warning (it is only a leftover). */
  async cleanup(): Promise<void> {
    const id = this.hotId;
    if (!id) return;
    this.hotId = undefined;
    try {
      await forgetHotSnapshots(this.ctx, [id]);
    } catch (err) {
      this.emit({
        type: "warning",
        stack: this.o.scope,
        message: `could not forget the safety snapshot's hot pass ${id.slice(0, 8)} (kind:hot): ${errorMessage(err)}`,
      });
    }
  }

  private request(kind: "hot" | "pre-restore") {
    return {
      paths: this.o.paths,
      host: this.ctx.config.hostname,
      tags: kind === "hot" ? [...this.o.tags, "kind:hot", "trigger:manual"] : safetyTags(this.o.tags),
      signal: this.o.signal,
      timeoutMs: this.ctx.config.restic.backupTimeoutSec * 1000,
    };
  }
}

const safetyTags = (tags: string[]) => [...tags, "kind:pre-restore", "trigger:manual"];

/**
 * The safety snapshot of what one restore run swapped out and kept (`keepOld` entries, restored
 * data live): restic reads each kept copy bound at its live path in a private mount namespace, so
 * the snapshot names the live paths. Then the kept copies go. Also the recovery's, for a run
 * killed between the swap and this. On failure the kept copies and their entries stay.
 */
export async function takeKeptSafety(
  ctx: ServiceContext,
  entries: SwapEntry[],
  journal: SwapJournal,
  signal?: AbortSignal,
): Promise<string> {
  const keep = entries[0]?.keepOld;
  if (!keep) throw new Error("bug: no kept data to take a safety snapshot of");
  const paths = entries.map((e) => e.live);
  const pass = (parent?: string) =>
    ctx.restic.backup({
      paths,
      host: ctx.config.hostname,
      tags: keep.tags,
      parent,
      launcher: namespaceLauncher(entries.map((e) => ({ copy: e.old, original: e.live }))),
      signal,
      timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
    });
  // A parent that cannot be loaded (forgotten by hand) only costs speed: the pass reads everything.
  const { snapshotId, summary } = await pass(keep.parent).catch((err) => {
    if (!keep.parent || signal?.aborted) throw err;
    return pass(undefined);
  });
  recordSafety(ctx, snapshotId, paths, keep.tags, summary);
  for (const e of entries) await dropOld(e, journal);
  return snapshotId;
}

/** Known to the catalog at once: no `restic snapshots` after the restore. */
function recordSafety(ctx: ServiceContext, id: string, paths: string[], tags: string[], summary: BackupSummary): void {
  ctx.store.catalog.add([
    {
      id,
      short_id: id.slice(0, 8),
      time: new Date().toISOString(),
      tree: "",
      paths,
      hostname: ctx.config.hostname,
      tags,
      summary: { data_added: summary.data_added, total_bytes_processed: summary.total_bytes_processed },
    },
  ]);
}
