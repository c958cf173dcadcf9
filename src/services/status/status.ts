import { errorMessage, ExitCode } from "../../errors";
import { stacksDue, type StackDue } from "../../schedule/due";
import { readOwner } from "../../state/lock";
import { isAlive } from "../../state/process-info";
import type { PendingDeletion, RunRow } from "../../state/store";
import type { TargetAlarm } from "../../state/target-history";
import type { Verification } from "../../state/verifications";
import type { ServiceContext } from "../run/context";
import { type CopyStatusRow, copyRows } from "./copies";
import { readRecordedSelection, readSelection } from "./seen-stacks";
import {
  byUrgency,
  lastRunWarnings,
  lockWarnings,
  overdueWarnings,
  pendingDeletionWarnings,
  recoveryWarnings,
  type StatusWarning,
  tamperWarnings,
  verificationWarnings,
} from "./warnings";

export type { StatusWarning, StatusWarningKind } from "./warnings";
export type { CopyStatusRow } from "./copies";
export type { LockHolder, PendingRecovery, StackStatusRow } from "./model";
import type { LockHolder, PendingRecovery, StackStatusRow } from "./model";

/** Everything `status` and the TUI's dashboard show, read from local state (no repository access). */
export interface StatusModel {
  repository: string;
  host: string;
  now: Date;
  lock?: LockHolder;
  pendingRecovery: PendingRecovery[];
  pendingDeletions: PendingDeletion[];
  /** Sync targets that lost snapshots this host did not forget (or shrank), not acknowledged yet. */
  targetAlarms: TargetAlarm[];
  /** Every sync target: where, its last sync and its last good one. */
  copies: CopyStatusRow[];
  /** Discovered stacks first (in discovery's order), then those only the state knows, by name. */
  stacks: StackStatusRow[];
  catalog: { snapshots: number; refreshedAt?: string };
  /** The newest verify run, and the newest verification of the whole repository. */
  lastVerify?: RunRow;
  verification?: Verification;
  lastRun?: RunRow;
  /** Things that need a person, most urgent first. */
  warnings: StatusWarning[];
  /** The dirlist has a line it cannot read (not strict): what is enabled is unknown. */
  dirlistError?: string;
}

export interface StatusOptions {
  /** List the stacks discovery finds (Docker, the dirlist's EXT: entries), as the dashboard does. */
  discover?: boolean;
  /** A dirlist that cannot be read, or due dates that cannot be computed, throw (`status` exits with the config error). */
  strict?: boolean;
  /** The config's warnings, to carry as warnings (the CLI prints them itself when it opens the config). */
  configWarnings?: string[];
  now?: Date;
}

/** The one status of this host's backups: `backup-tui status` renders it, the TUI's dashboard maps it. */
export async function readStatus(ctx: ServiceContext, o: StatusOptions = {}): Promise<StatusModel> {
  const now = o.now ?? new Date();
  const { sel, dirlistError } = o.discover ? await readSelection(ctx) : readRecordedSelection(ctx, !!o.strict);
  const lastBackups = ctx.store.lastBackups();
  const verified = ctx.store.verifications.latest(ctx.config.restic.repository);
  const counts = ctx.store.catalog.countByStack();
  const { due, scheduleError } = dueDates(ctx, sel.enabled, lastBackups, now, !!o.strict);
  const dueOf = new Map(due.map((d) => [d.stack, d]));
  const found = new Map(sel.known.map((s) => [s.name, s]));
  const recorded = [...new Set([...lastBackups.keys(), ...dueOf.keys(), ...verified.stacks.keys()])]
    .filter((n) => !found.has(n))
    .sort();
  const stacks = [...found.keys(), ...recorded].map((stack): StackStatusRow => {
    const s = found.get(stack);
    const l = lastBackups.get(stack);
    return {
      stack,
      found: s && { state: s.state, external: s.source === "external" },
      enabled: sel.enabled.has(stack),
      last: l?.last,
      lastGood: l?.lastGood,
      ageMs: l?.lastGood ? now.getTime() - Date.parse(l.lastGood.startedAt) : undefined,
      snapshots: counts.get(stack) ?? 0,
      due: dueOf.get(stack),
      verified: verified.stacks.get(stack),
    };
  });
  const lock = lockHolder(ctx);
  const pendingRecovery = pendingRecoveries(ctx);
  const pendingDeletions = ctx.store.pendingDeletions();
  const lastRun = ctx.store.recentRuns(1)[0];
  const targetAlarms = ctx.store.targets.active();
  const warnings = byUrgency([
    ...tamperWarnings(targetAlarms),
    ...recoveryWarnings(pendingRecovery),
    ...lockWarnings(lock, ctx.owner.pid),
    ...lastRunWarnings(lastRun),
    ...verificationWarnings(verified.repository, stacks),
    ...pendingDeletionWarnings(pendingDeletions, now),
    ...overdueWarnings(due, now),
    ...(scheduleError ? [{ kind: "schedule" as const, message: `schedule: ${scheduleError}` }] : []),
    ...(o.configWarnings ?? []).map((message) => ({ kind: "config" as const, message })),
    ...sel.warnings.map((message) => ({ kind: "dirlist" as const, message })),
  ]);
  return {
    repository: ctx.config.restic.repository,
    host: ctx.config.hostname,
    now,
    lock,
    pendingRecovery,
    pendingDeletions,
    targetAlarms,
    copies: copyRows(ctx),
    stacks,
    catalog: { snapshots: ctx.store.catalog.count(), refreshedAt: ctx.store.catalog.refreshedAt() },
    lastVerify: ctx.store.runs({ kind: "verify", limit: 1 })[0],
    verification: verified.repository,
    lastRun,
    warnings,
    dirlistError,
  };
}

/**
 * `status`'s exit code: 4 while containers a dead run stopped are still down, 1 when a stack is
 * overdue, the last verification (of the repository, or of a stack's restore) failed or a sync
 * target's tamper alarm is not acknowledged, else 0.
 */
export function statusExitCode(s: StatusModel): number {
  if (s.pendingRecovery.some((p) => !p.alive)) return ExitCode.serviceDown;
  const verifyFailed = (s.verification && !s.verification.ok) || s.stacks.some((r) => r.verified && !r.verified.ok);
  return s.stacks.some((r) => r.due?.overdue) || verifyFailed || s.targetAlarms.length ? ExitCode.failed : ExitCode.ok;
}

function dueDates(
  ctx: ServiceContext,
  enabled: Set<string>,
  last: ReturnType<ServiceContext["store"]["lastBackups"]>,
  now: Date,
  strict: boolean,
): { due: StackDue[]; scheduleError?: string } {
  try {
    // A scheduled backup skips a stack the dirlist disables, even one with its own SCHEDULE.
    return { due: stacksDue(ctx.config, enabled, last, now) };
  } catch (err) {
    if (strict) throw err;
    return { due: [], scheduleError: errorMessage(err) };
  }
}

function lockHolder(ctx: ServiceContext): LockHolder | undefined {
  const holder = readOwner(ctx.config.stateDir, ctx.config.restic.repository);
  return holder && { ...holder, alive: holder.host !== ctx.owner.host || isAlive(holder.pid, holder.pidStart) };
}

function pendingRecoveries(ctx: ServiceContext): PendingRecovery[] {
  return ctx.journal.list().map((e) => ({
    stack: e.stack,
    containers: [
      ...e.containers.map((c) => c.name),
      ...(e.fsSnapshots ?? []).map((f) => `${f.provider} snapshot ${f.path}`),
    ],
    stopped: e.containers.map((c) => c.name),
    pid: e.owner.pid,
    host: e.owner.host,
    alive: isAlive(e.owner.pid, e.owner.pidStart),
  }));
}
