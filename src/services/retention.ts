import type { KeepPolicy } from "../config/types";
import { AppError, ExitCode, errorMessage } from "../errors";
import type { ForgetGroup } from "../restic/json";
import type { ServiceContext } from "./context";

export function policyFor(ctx: ServiceContext, stack: string): KeepPolicy {
  return ctx.config.stacks[stack]?.keep ?? ctx.config.retention.keep;
}

/** A policy that keeps nothing would delete every snapshot: refuse it. */
export function assertPolicyKeepsSomething(policy: KeepPolicy, stack: string): void {
  const counts = [policy.last, policy.hourly, policy.daily, policy.weekly, policy.monthly, policy.yearly];
  if (counts.some((n) => (n ?? 0) > 0) || policy.within) return;
  throw new AppError(`the retention policy for ${stack} keeps no snapshot`, ExitCode.config, "Set at least one KEEP_* value above 0 (for example KEEP_DAILY=7).");
}

export interface RetentionResult {
  stack: string;
  kept: number;
  removed: string[];
}

/** Per-stack retention: forget by stack tag, grouped by host, never touching `protected`; one prune after. */
export async function applyRetention(ctx: ServiceContext, stacks: string[], o: { dryRun?: boolean; prune?: boolean; signal?: AbortSignal; volume?: string } = {}): Promise<RetentionResult[]> {
  const results: RetentionResult[] = [];
  for (const stack of stacks) {
    const policy = o.volume ? ctx.config.retention.keep : policyFor(ctx, stack);
    assertPolicyKeepsSomething(policy, stack);
    const groups: ForgetGroup[] = await ctx.restic.forget({
      // Volume snapshots have their own retention, never counted against their stack's.
      tags: o.volume ? ["backup-tui", `vol:${o.volume}`, "kind:volume"] : ["backup-tui", `stack:${stack}`, "kind:stack"],
      groupBy: "host",
      keep: policy,
      keepTags: ["protected"],
      dryRun: o.dryRun,
      signal: o.signal,
    });
    results.push({
      stack,
      kept: groups.reduce((n, g) => n + g.keep.length, 0),
      removed: groups.flatMap((g) => g.remove.map((s) => s.id)),
    });
  }
  if (!o.dryRun && o.prune !== false && results.some((r) => r.removed.length)) await ctx.restic.prune(o.signal);
  return results;
}

/** Retention by hand or by the PRUNE schedule, recorded in the run history (kind prune). */
export async function runRetention(ctx: ServiceContext, stacks: string[], o: { prune?: boolean; signal?: AbortSignal }): Promise<RetentionResult[]> {
  const runId = ctx.store.startRun("prune", "manual", ctx.owner);
  try {
    const results = await applyRetention(ctx, stacks, { ...o, prune: !!o.prune });
    ctx.store.finishRun(runId, "succeeded", ExitCode.ok, undefined, { prune: !!o.prune, results: results.map((r) => ({ stack: r.stack, kept: r.kept, removed: r.removed.length })) });
    return results;
  } catch (err) {
    ctx.store.finishRun(runId, o.signal?.aborted ? "interrupted" : "failed", err instanceof AppError ? err.exitCode : ExitCode.failed, errorMessage(err));
    throw err;
  }
}
