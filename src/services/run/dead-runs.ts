import { resume, settleStops } from "../../docker/lifecycle";
import { lifecycleDeps } from "../stacks/quiesce";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import { dropSnapshots } from "../backup/fs-snapshot";
import { isAlive } from "../../state/process-info";

export interface RecoverResult {
  recovered: string[];
  /** Filesystem snapshots (snapshot strategy) a dead run left, now deleted. */
  snapshotsRemoved: string[];
  /** ...and those that could not be deleted (they stay in the journal for the next recovery). */
  snapshotsLeft: string[];
  failed: Array<{ stack: string; name: string; reason: string }>;
  /** Journalled containers Docker no longer has (removed meanwhile): reported once, dropped from the journal. */
  gone: Array<{ stack: string; name: string }>;
  /** Entries of a run that is still alive: never touched. */
  live: number;
}

/**
 * Restarts what a dead run left stopped or paused. Call it only while holding the
 * repository lock; entries of live runs are left alone.
 */
export async function recoverStopped(ctx: ServiceContext, emit: EventSink): Promise<RecoverResult> {
  const result: RecoverResult = {
    recovered: [],
    snapshotsRemoved: [],
    snapshotsLeft: [],
    failed: [],
    gone: [],
    live: 0,
  };
  for (const entry of ctx.journal.list()) {
    const mine = entry.owner.pid === process.pid && entry.owner.host === ctx.owner.host;
    if (entry.owner.host !== ctx.owner.host || mine || isAlive(entry.owner.pid, entry.owner.pidStart)) {
      result.live++;
      continue;
    }
    const snaps = entry.fsSnapshots ?? [];
    const what = [
      entry.containers.length ? `restarting ${entry.containers.map((c) => c.name).join(", ")}` : "",
      snaps.length ? `deleting ${snaps.length} ${snaps[0].provider} snapshot(s)` : "",
    ]
      .filter(Boolean)
      .join(", ");
    emit({ type: "phase", stack: entry.stack, phase: "recover", detail: `${what} left by pid ${entry.owner.pid}` });
    ctx.log.warn({ entry }, "recovering containers left stopped by a dead run");
    await settleStops(entry, lifecycleDeps(ctx));
    const report = await resume(entry, lifecycleDeps(ctx));
    result.recovered.push(...report.started);
    for (const f of report.failed) {
      if (f.gone) result.gone.push({ stack: entry.stack, name: f.name });
      else result.failed.push({ stack: entry.stack, name: f.name, reason: f.reason });
    }
    // A container removed meanwhile has nothing left to start: it leaves the journal (else `status` says 4 forever).
    const left = entry.containers.filter((c) => report.failed.some((f) => f.name === c.name && !f.gone));
    if (snaps.length) {
      const problems = await dropSnapshots(ctx, entry, { keepContainers: left });
      result.snapshotsLeft.push(...problems);
      result.snapshotsRemoved.push(
        ...snaps.map((s) => s.path).filter((path) => !problems.some((p) => p.includes(path))),
      );
    } else if (left.length) {
      ctx.journal.write({ ...entry, containers: left });
    } else {
      ctx.journal.remove(entry.id);
    }
  }
  return result;
}
