import { btui } from "../command-hint";
import type { StackDue } from "../schedule/due";
import type { ServiceContext } from "../services/run/context";
import { readOwner } from "../state/lock";
import { isAlive } from "../state/process-info";
import type { PendingDeletion } from "../state/store";
import { span, when } from "./format";

/** "N snapshot(s) will be forgotten for space at <time>": one line per announced batch. */
export function pendingWarnings(pending: PendingDeletion[], now: Date): string[] {
  const batches = new Map<string, number>();
  for (const p of pending) batches.set(p.dueAt, (batches.get(p.dueAt) ?? 0) + 1);
  return [...batches].map(([dueAt, n]) => {
    const at =
      Date.parse(dueAt) > now.getTime()
        ? `at ${when(dueAt)}`
        : `at the next prune or backup (due since ${when(dueAt)})`;
    return `${n} snapshot(s) will be forgotten for space ${at}; \`${btui("prune --cancel")}\` calls it off`;
  });
}

/** One line naming every overdue stack and how old its last good backup is. */
export function overdueWarnings(due: StackDue[], now: Date): string[] {
  const late = due.filter((d) => d.overdue);
  if (!late.length) return [];
  const what = late.map((d) =>
    d.lastGood
      ? `${d.stack} (last good backup ${span(now.getTime() - Date.parse(d.lastGood))} ago, expected within ${span(d.thresholdMs)})`
      : `${d.stack} (no good backup yet${d.lastStatus ? `, last attempt ${d.lastStatus}` : ""})`,
  );
  return [`OVERDUE: ${what.join(", ")}`];
}

/** Pending recovery, the lock holder, the last run: what `backup-tui status` reports. */
export function healthWarnings(ctx: ServiceContext): string[] {
  const out: string[] = [];
  const dead = ctx.journal
    .list()
    .filter((e) => e.owner.host === ctx.owner.host && !isAlive(e.owner.pid, e.owner.pidStart));
  for (const e of dead) {
    out.push(
      `pending recovery: ${e.stack} (${e.containers.map((c) => c.name).join(", ")}) was left stopped by dead pid ${e.owner.pid}; the next run or \`${btui("recover")}\` restarts it`,
    );
  }
  const holder = readOwner(ctx.config.stateDir, ctx.config.restic.repository);
  if (holder && holder.pid !== ctx.owner.pid) {
    const alive = holder.host !== ctx.owner.host || isAlive(holder.pid, holder.pidStart);
    out.push(
      alive
        ? `repository busy: locked by pid ${holder.pid} on ${holder.host} (${holder.command})`
        : `stale lock: held by pid ${holder.pid} (${holder.command}), which is gone; the next run takes it over`,
    );
  }
  const lastRun = ctx.store.recentRuns(1)[0];
  if (lastRun && (lastRun.status === "failed" || lastRun.status === "interrupted")) {
    out.push(
      `last run #${lastRun.id} (${lastRun.kind}) ${lastRun.status}${lastRun.error ? `: ${lastRun.error.split("\n")[0]}` : ""}`,
    );
  }
  return out;
}
