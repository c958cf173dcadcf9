import { openContext, type CommandEnv } from "../app";
import { table } from "../output";
import { ensureCatalog, refreshCatalog } from "../services/snapshots/catalog";
import { ExitCode } from "../errors";
import { applyRetention, runRetention, type RetentionRun } from "../services/retention/retention";
import { spaceLines } from "../services/retention/space-budget";
import { confirmDestructive, type GuardOptions } from "./guard";
import { withRepoLock } from "./locked";
import { startScheduled } from "./scheduled";

/** Retention by hand: the keep policy per stack (never `protected`), optionally pruning. */
export async function run(
  env: CommandEnv,
  o: GuardOptions & { stack?: string; dryRun?: boolean; prune?: boolean; scheduled?: boolean; wait?: string },
): Promise<number> {
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "prune", "prune")) return ExitCode.ok;
  await ensureCatalog(ctx, env.signal);
  const stacks = o.stack
    ? [o.stack]
    : [
        ...new Set(
          ctx.store.catalog
            .list({})
            .filter((s) => s.kind === "stack" && s.stack)
            .map((s) => s.stack!),
        ),
      ].sort();
  // The PRUNE schedule applies the policy the admin configured: that is its consent. While a
  // confirmation password is set, that policy can only come from the config file (loadConfig refuses
  // an environment override of any key that decides what gets deleted).
  if (!o.dryRun && !o.scheduled)
    await confirmDestructive(
      env,
      ctx.config,
      ctx.log,
      `apply retention to ${stacks.length} stack(s)${o.prune ? " and prune" : ""}`,
      o,
    );
  return withRepoLock(ctx, env, o.wait, async () => {
    const run = o.dryRun
      ? { results: await applyRetention(ctx, stacks, { dryRun: true, signal: env.signal }) }
      : await runRetention(ctx, stacks, { prune: o.prune, signal: env.signal });
    if (!o.dryRun) await refreshCatalog(ctx, env.signal);
    const { results, space } = run as RetentionRun;
    env.printer.result({ type: "forget", dryRun: !!o.dryRun, results, space }, () =>
      [
        `${o.dryRun ? "Dry run: would remove" : "Removed"}:\n${table(
          ["STACK", "KEPT", "REMOVED"],
          results.map((r) => [r.stack, String(r.kept), String(r.removed.length)]),
        )}`,
        ...(space ? spaceLines(space) : []),
        ...(space?.exhausted ? [`STILL OVER THE SPACE LIMITS: ${space.after.reasons.join("; ")}`] : []),
      ].join("\n"),
    );
    if (space?.exhausted) return ExitCode.failed;
    return 0;
  });
}
