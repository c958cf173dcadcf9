import { openContext, type CommandEnv } from "../app";
import { ExitCode } from "../errors";
import { forgetLines } from "../reports/retention";
import { CONFIGURED_POLICY, forgetAction, forgetJob, retentionStacks } from "../usecases/retention";
import { confirmDestructive, type GuardOptions } from "./guard";
import { lockWait } from "./job-hooks";
import { startScheduled } from "./scheduled";

/** Retention by hand: the keep policy per stack (never `protected`), optionally pruning. */
export async function run(
  env: CommandEnv,
  o: GuardOptions & { stack?: string; dryRun?: boolean; prune?: boolean; scheduled?: boolean; wait?: string },
): Promise<number> {
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "prune", "prune")) return ExitCode.ok;
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
