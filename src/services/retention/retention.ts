import type { KeepPolicy } from "../../config/types";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { forgottenIds } from "../../restic/copies";
import type { ForgetGroup } from "../../restic/json";
import { notifyRun } from "../../notify/notify";
import { closeRun, endedWith } from "../run/after-run";
import type { ServiceContext } from "../run/context";
import { fleetHousekeeping, otherHostsRetention } from "../fleet/housekeeping";
import { policyFor, policyKeepsSomething } from "./policy";
import { enforceSpace, spaceConfigured, spaceLines, type SpaceResult } from "./space-budget";

export { policyFor, policyKeepsSomething };

/** This host prunes a repository other hosts share too (PRUNE_HOST names it). */
const sharedPruneHost = (ctx: ServiceContext) => ctx.config.fleet.pruneHost === ctx.config.hostname;

/** A policy that keeps nothing would delete every snapshot: refuse it. */
export function assertPolicyKeepsSomething(policy: KeepPolicy, stack: string): void {
  if (policyKeepsSomething(policy)) return;
  throw new AppError(
    `the retention policy for ${stack} keeps no snapshot`,
    ExitCode.config,
    "Set at least one KEEP_* value above 0 (for example KEEP_DAILY=7).",
  );
}

export interface RetentionResult {
  stack: string;
  /** Another host's stack (the prune host applies that host's published policy); absent: this host's. */
  host?: string;
  kept: number;
  removed: string[];
}

/** Per-stack retention: forget by stack tag, grouped by host, never touching `protected`; one prune after. */
export async function applyRetention(
  ctx: ServiceContext,
  stacks: string[],
  o: { dryRun?: boolean; prune?: boolean; signal?: AbortSignal; volume?: string } = {},
): Promise<RetentionResult[]> {
  const results: RetentionResult[] = [];
  for (const stack of stacks) {
    const policy = o.volume ? ctx.config.retention.keep : policyFor(ctx, stack);
    assertPolicyKeepsSomething(policy, stack);
    const groups: ForgetGroup[] = await ctx.restic.forget({
      // Volume snapshots have their own retention, never counted against their stack's.
      tags: o.volume
        ? ["backup-tui", `vol:${o.volume}`, "kind:volume"]
        : ["backup-tui", `stack:${stack}`, "kind:stack"],
      // This host's snapshots alone: another host's, in a shared repository, follow its own policy.
      host: ctx.config.hostname,
      groupBy: "host",
      keep: policy,
      keepTags: ["protected"],
      dryRun: o.dryRun,
      signal: o.signal,
    });
    const removed = groups.flatMap((g) => g.remove.map((s) => s.id));
    // Forgotten here: a sync target losing them (or their copies) is no tamper (a dry run forgot nothing).
    if (!o.dryRun)
      ctx.store.targets.recordForgotten(forgottenIds(groups.flatMap((g) => g.remove)), new Date().toISOString());
    results.push({ stack, kept: groups.reduce((n, g) => n + g.keep.length, 0), removed });
  }
  // The prune host of a shared repository also applies the other hosts' published policies.
  const fleet = sharedPruneHost(ctx) && !o.volume;
  const others = fleet ? await otherHostsRetention(ctx, o) : [];
  results.push(...others.map((r) => ({ stack: r.stack, host: r.host, kept: r.kept, removed: r.removed })));
  if (fleet && !o.dryRun) await fleetHousekeeping(ctx, o);
  if (!o.dryRun && o.prune !== false && results.some((r) => r.removed.length)) await ctx.restic.prune(o.signal);
  return results;
}

export interface RetentionRun {
  results: RetentionResult[];
  /** With --prune and MAX_REPO_SIZE / MIN_FREE_PERCENT set: what the space limits took. */
  space?: SpaceResult;
}

/**
 * Retention by hand or by the PRUNE schedule, recorded in the run history (kind prune): the keep
 * policy, then (when pruning) the space limits. New pending deletions are announced whatever
 * NOTIFY_ON says; limits that cannot be met are a failure.
 */
export async function runRetention(
  ctx: ServiceContext,
  stacks: string[],
  o: { prune?: boolean; signal?: AbortSignal },
): Promise<RetentionRun> {
  const runId = ctx.store.startRun("prune", "manual", ctx.owner);
  const startedAt = new Date().toISOString();
  try {
    const results = await applyRetention(ctx, stacks, { ...o, prune: !!o.prune });
    const space = o.prune && spaceConfigured(ctx) ? await enforceSpace(ctx, { signal: o.signal }) : undefined;
    const lines = [
      ...results.map((r) => `${r.stack}: kept ${r.kept}, removed ${r.removed.length}`),
      ...(space ? spaceLines(space) : []),
    ];
    const summary = {
      prune: !!o.prune,
      results: results.map((r) => ({ stack: r.stack, kept: r.kept, removed: r.removed.length })),
      space: space && {
        deleted: space.deleted.map((s) => s.id),
        pending: space.pending.map((p) => p.snapshotId),
        exhausted: space.exhausted,
        before: space.before,
        after: space.after,
      },
    };
    const error = space?.exhausted
      ? `still over the space limits (${space.after.reasons.join("; ")}): only protected snapshots and each stack's newest are left`
      : undefined;
    await closeRun(ctx, {
      kind: "prune",
      runId,
      startedAt,
      status: error ? "failed" : "succeeded",
      exitCode: error ? ExitCode.failed : ExitCode.ok,
      error,
      summary,
      lines,
    });
    if (space?.pending.length) {
      await notifyRun(ctx.config, ctx.log, {
        kind: "prune",
        runId,
        status: "partial",
        announce: true,
        host: ctx.config.hostname,
        exitCode: 0,
        lines,
        startedAt,
        finishedAt: new Date().toISOString(),
      });
    }
    return { results, space };
  } catch (err) {
    await closeRun(ctx, {
      kind: "prune",
      runId,
      startedAt,
      ...endedWith(o.signal, err instanceof AppError ? err.exitCode : ExitCode.failed),
      error: errorMessage(err),
      lines: [`retention for ${stacks.length} stack(s) failed`],
    });
    throw err;
  }
}
