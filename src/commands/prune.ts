import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { confirmDestructive, type GuardOptions } from "./guard";
import { withRepoLock } from "./locked";

/** Frees data no snapshot uses (guarded); with --cancel, calls off pending space deletions instead. */
export async function run(
  env: CommandEnv,
  ids: string[],
  o: GuardOptions & { wait?: string; cancel?: boolean },
): Promise<number> {
  if (ids.length && !o.cancel)
    throw new UsageError(
      "prune takes snapshot ids only with --cancel",
      `\`${btui("prune --cancel [ID...]")}\` calls off pending deletions; \`${btui("prune")}\` frees unused data.`,
    );
  const ctx = openContext(env);
  if (o.cancel) {
    const before = ctx.store.pendingDeletions();
    const n = ctx.store.cancelPending(ids.length ? ids : undefined);
    ctx.log.info({ cancelled: n, ids }, "pending deletions cancelled");
    env.printer.result({ type: "prune-cancel", cancelled: n, left: ctx.store.pendingDeletions().length }, () =>
      before.length
        ? `cancelled ${n} pending deletion(s)${n ? "" : ` (none matched ${ids.join(", ")})`}; the next PRUNE run chooses again if the repository is still over its limits`
        : "no deletions are pending",
    );
    return 0;
  }
  await confirmDestructive(env, ctx.config, ctx.log, "prune the repository (delete data no snapshot uses)", o);
  return withRepoLock(ctx, env, o.wait, async () => {
    await ctx.restic.prune(env.signal);
    env.printer.result({ type: "prune" }, () => "pruned");
    return 0;
  });
}
