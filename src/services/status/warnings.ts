import { btui } from "../../command-hint";
import { span, when } from "../../format";
import type { StackDue } from "../../schedule/due";
import type { PendingDeletion, RunRow } from "../../state/store";
import type { TargetAlarm } from "../../state/target-history";
import type { Verification } from "../../state/verifications";
import type { LockHolder, PendingRecovery } from "./model";

/** What a warning is about; the order of this list is the order of urgency. */
export const WARNING_KINDS = [
  "tamper",
  "pending-recovery",
  "lock",
  "last-run",
  "verification",
  "pending-deletions",
  "overdue",
  "schedule",
  "config",
  "dirlist",
] as const;

export type StatusWarningKind = (typeof WARNING_KINDS)[number];

/** One thing that needs a person, in words both faces show. */
export interface StatusWarning {
  kind: StatusWarningKind;
  message: string;
  /** The stack it is about, when it is about one. */
  stack?: string;
  /** The sync target it is about, when it is about one. */
  target?: string;
}

/** Most urgent first (a stable sort: warnings of one kind keep their order). */
export function byUrgency(warnings: StatusWarning[]): StatusWarning[] {
  const rank = (w: StatusWarning) => WARNING_KINDS.indexOf(w.kind);
  return [...warnings].sort((a, b) => rank(a) - rank(b));
}

/** The command that acknowledges a target's tamper alarm (after checking that copy). */
export const acceptLossCommand = (target: string): string => btui(`sync --to ${target} --accept-loss`);

/** A sync target lost what this host did not forget: its syncs refuse to go on until acknowledged. */
export function tamperWarnings(alarms: TargetAlarm[]): StatusWarning[] {
  return alarms.map((a) => ({
    kind: "tamper",
    target: a.target,
    message: `TAMPER ALARM: ${a.message} (found ${when(a.raisedAt)}${a.updatedAt !== a.raisedAt ? `, again ${when(a.updatedAt)}` : ""}); syncs to ${a.target} stop until you check that copy and run \`${acceptLossCommand(a.target)}\``,
  }));
}

/** Containers a dead run left stopped: the next run or `recover` restarts them. */
export function recoveryWarnings(pending: PendingRecovery[]): StatusWarning[] {
  return pending
    .filter((p) => !p.alive)
    .map((p) => ({
      kind: "pending-recovery",
      stack: p.stack,
      message: `pending recovery: ${p.stack} (${p.stopped.join(", ")}) was left stopped by dead pid ${p.pid}; the next run or \`${btui("recover")}\` restarts it`,
    }));
}

/** The repository lock held by another process: busy while it lives, stale once it is gone. */
export function lockWarnings(lock: LockHolder | undefined, ownPid: number): StatusWarning[] {
  if (!lock || lock.pid === ownPid) return [];
  return [
    {
      kind: "lock",
      message: lock.alive
        ? `repository busy: locked by pid ${lock.pid} on ${lock.host} (${lock.command})`
        : `stale lock: held by pid ${lock.pid} (${lock.command}), which is gone; the next run takes it over`,
    },
  ];
}

/** The newest run failed or was interrupted. */
export function lastRunWarnings(lastRun: RunRow | undefined): StatusWarning[] {
  if (!lastRun || (lastRun.status !== "failed" && lastRun.status !== "interrupted")) return [];
  return [
    {
      kind: "last-run",
      message: `last run #${lastRun.id} (${lastRun.kind}) ${lastRun.status}${lastRun.error ? `: ${lastRun.error.split("\n")[0]}` : ""}`,
    },
  ];
}

/** The last verification of the repository, or of a stack's restore, failed (`status` exits 1 for it). */
export function verificationWarnings(
  repository: Verification | undefined,
  stacks: Array<{ stack: string; verified?: Verification }>,
): StatusWarning[] {
  const out: StatusWarning[] = [];
  if (repository && !repository.ok)
    out.push({
      kind: "verification",
      message: `last verify FAILED (${when(repository.at)}, ${repository.level}${repository.part ? ` ${repository.part}` : ""})${repository.detail ? `: ${repository.detail.split("\n")[0]}` : ""}`,
    });
  for (const s of stacks)
    if (s.verified && !s.verified.ok)
      out.push({
        kind: "verification",
        stack: s.stack,
        message: `restore proof of ${s.stack} FAILED (${when(s.verified.at)})${s.verified.detail ? `: ${s.verified.detail.split("\n")[0]}` : ""}`,
      });
  return out;
}

/** "N snapshot(s) will be forgotten for space at <time>": one line per announced batch. */
export function pendingDeletionWarnings(pending: PendingDeletion[], now: Date): StatusWarning[] {
  const batches = new Map<string, number>();
  for (const p of pending) batches.set(p.dueAt, (batches.get(p.dueAt) ?? 0) + 1);
  return [...batches].map(([dueAt, n]) => {
    const at =
      Date.parse(dueAt) > now.getTime()
        ? `at ${when(dueAt)}`
        : `at the next prune or backup (due since ${when(dueAt)})`;
    return {
      kind: "pending-deletions",
      message: `${n} snapshot(s) will be forgotten for space ${at}; \`${btui("prune --cancel")}\` calls it off`,
    };
  });
}

/** One line naming every overdue stack and how old its last good backup is. */
export function overdueWarnings(due: StackDue[], now: Date): StatusWarning[] {
  const late = due.filter((d) => d.overdue);
  if (!late.length) return [];
  const what = late.map((d) =>
    d.lastGood
      ? `${d.stack} (last good backup ${span(now.getTime() - Date.parse(d.lastGood))} ago, expected within ${span(d.thresholdMs)})`
      : `${d.stack} (no good backup yet${d.lastStatus ? `, last attempt ${d.lastStatus}` : ""})`,
  );
  return [{ kind: "overdue", message: `OVERDUE: ${what.join(", ")}` }];
}
