import { openContext, type CommandEnv } from "../app";
import { ExitCode, UsageError } from "../errors";
import type { ServiceContext } from "../services/run/context";
import { forgetRemoteAction, forgetRemoteJob } from "../usecases/forget-remote";
import { forgetLines } from "../reports/retention";
import { CONFIGURED_POLICY, forgetAction, forgetJob, retentionStacks } from "../usecases/retention";
import { confirmDestructive, type GuardOptions } from "./guard";
import { lockWait } from "./job-hooks";
import { startScheduled } from "./scheduled";

/** Retention by hand: the keep policy per stack (never `protected`), optionally pruning. */
export async function run(
  env: CommandEnv,
  o: GuardOptions & {
    stack?: string;
    dryRun?: boolean;
    prune?: boolean;
    scheduled?: boolean;
    wait?: string;
    remote?: string;
  },
): Promise<number> {
  const ctx = openContext(env);
  if (o.remote !== undefined) return forgetRemote(env, ctx, o, o.remote);
  if (o.scheduled && !startScheduled(env, ctx, "prune", "prune", { exclusive: true })) return ExitCode.ok;
  const stacks = await retentionStacks(ctx, o.stack, env.signal);
  // The PRUNE schedule applies the policy the admin configured: that is its consent.
  const confirmation =
    o.dryRun || o.scheduled
      ? CONFIGURED_POLICY
      : await confirmDestructive(env, ctx.config, ctx.log, forgetAction(stacks, o.prune), o);
  const { exitCode, ...r } = await forgetJob(
    ctx,
    { stacks, dryRun: o.dryRun, prune: o.prune, confirmation },
    { signal: env.signal, lock: lockWait(env, o.wait) },
  );
  env.printer.result({ type: "forget", dryRun: r.dryRun, results: r.results, space: r.space }, () =>
    forgetLines(r).join("\n"),
  );
  return exitCode;
}

/** `forget --remote NAME`: retention of a copy, from a trusted machine (src/usecases/forget-remote.ts). */
async function forgetRemote(
  env: CommandEnv,
  ctx: ServiceContext,
  o: GuardOptions & { stack?: string; dryRun?: boolean; prune?: boolean; scheduled?: boolean },
  target: string,
): Promise<number> {
  if (o.stack || o.scheduled)
    throw new UsageError(
      "--remote applies the keep policy to every stack of the copy: not with --stack or --scheduled",
    );
  const confirmation = o.dryRun
    ? undefined
    : await confirmDestructive(env, ctx.config, ctx.log, forgetRemoteAction(target, o.prune), o);
  const r = await forgetRemoteJob(ctx, { target, dryRun: o.dryRun, prune: o.prune, confirmation }, env);
  env.printer.result({ type: "forget", ...r }, () =>
    [`${r.target} (${r.where}):`, ...forgetLines(r), ...(r.pruned ? ["pruned the copy"] : [])].join("\n"),
  );
  return ExitCode.ok;
}
