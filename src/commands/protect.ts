import { openContext, type CommandEnv } from "../app";
import { refreshCatalog, resolveSnapshot } from "../services/catalog";
import { withRepoLock } from "./locked";

/** protect / unprotect: the `protected` tag, which retention and delete respect. */
export function tagCommand(add: boolean) {
  return async (env: CommandEnv, ref: string, o: { wait?: string }): Promise<number> => {
    const ctx = openContext(env);
    const snap = await resolveSnapshot(ctx, ref, {}, env.signal);
    return withRepoLock(ctx, env, o.wait, async () => {
      await ctx.restic.tag([snap.id], add ? { add: ["protected"] } : { remove: ["protected"] }, env.signal);
      await refreshCatalog(ctx, env.signal);
      // restic rewrites a snapshot when its tags change: find it again by time and host.
      const now = ctx.store.catalog.list({ host: snap.host, since: snap.time, until: snap.time, includeHot: true }).find((s) => s.stack === snap.stack);
      env.printer.result({ type: add ? "protect" : "unprotect", was: snap.id, id: now?.id }, () =>
        `${add ? "protected" : "unprotected"} ${snap.shortId}${now && now.id !== snap.id ? ` (its id is now ${now.shortId})` : ""}`,
      );
      return 0;
    });
  };
}

export const run = tagCommand(true);
