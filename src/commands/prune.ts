import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { cancelLines } from "../reports/retention";
import { cancelDeletions, PRUNE_ACTION, pruneJob } from "../usecases/retention";
import { confirmDestructive, type GuardOptions } from "./guard";
import { lockWait } from "./job-hooks";

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
    const r = cancelDeletions(ctx, ids);
    env.printer.result({ type: "prune-cancel", cancelled: r.cancelled, left: r.left }, () =>
      cancelLines(r, ids).join("\n"),
    );
    return 0;
  }
  const confirmation = await confirmDestructive(env, ctx.config, ctx.log, PRUNE_ACTION, o);
  await pruneJob(ctx, { confirmation }, { signal: env.signal, lock: lockWait(env, o.wait) });
  env.printer.result({ type: "prune" }, () => "pruned");
  return 0;
}
