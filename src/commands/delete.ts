import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { AppError, ExitCode } from "../errors";
import { when } from "../format";
import { refreshCatalog, resolveSnapshot } from "../services/snapshots/catalog";
import type { CatalogSnapshot } from "../state/catalog";
import { confirmDestructive, type GuardOptions } from "./guard";
import { withRepoLock } from "./locked";

export async function run(
  env: CommandEnv,
  refs: string[],
  o: GuardOptions & { prune?: boolean; wait?: string },
): Promise<number> {
  const ctx = openContext(env);
  const snaps: CatalogSnapshot[] = [];
  for (const ref of refs) snaps.push(await resolveSnapshot(ctx, ref, {}, env.signal));
  const kept = snaps.filter((s) => s.protected);
  if (kept.length) {
    throw new AppError(
      `${kept.map((s) => s.shortId).join(", ")} ${kept.length === 1 ? "is" : "are"} protected`,
      ExitCode.usage,
      `Run \`${btui("unprotect ID")}\` first if you really mean it.`,
    );
  }
  await confirmDestructive(
    env,
    ctx.config,
    ctx.log,
    `delete ${snaps.length} snapshot(s): ${snaps.map((s) => `${s.shortId} (${s.stack ?? "-"}, ${when(s.time)})`).join(", ")}`,
    o,
  );
  return withRepoLock(ctx, env, o.wait, async () => {
    await ctx.restic.forget({ ids: snaps.map((s) => s.id), prune: o.prune, signal: env.signal });
    await refreshCatalog(ctx, env.signal);
    env.printer.result(
      { type: "delete", ids: snaps.map((s) => s.id), pruned: !!o.prune },
      () =>
        `deleted ${snaps.map((s) => s.shortId).join(", ")}${o.prune ? " and pruned unreferenced data" : ` (data is freed by \`${btui("prune")}\`)`}`,
    );
    return 0;
  });
}
