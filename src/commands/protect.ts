import { openContext, type CommandEnv } from "../app";
import { refreshCatalog, resolveSnapshot } from "../services/snapshots/catalog";
import { withRepoLock } from "./locked";

/** protect / unprotect: the `protected` tag, which retention and delete respect. */
export function tagCommand(add: boolean) {
  return async (env: CommandEnv, ref: string, o: { wait?: string }): Promise<number> => {
    const ctx = openContext(env);
    const snap = await resolveSnapshot(ctx, ref, {}, env.signal);
    return withRepoLock(ctx, env, o.wait, async () => {
      await ctx.restic.tag([snap.id], add ? { add: ["protected"] } : { remove: ["protected"] }, env.signal);
      await refreshCatalog(ctx, env.signal);
      // restic rewrites a snapshot when its tags change: find it again by host, stack and time
      // (within a second: a catalog row written at backup time may hold a rounded time).
      const now = rewritten(
        ctx.store.catalog.list({
          host: snap.host,
          since: shift(snap.time, -1),
          until: shift(snap.time, 1),
          includeHot: true,
        }),
        snap,
      );
      env.printer.result(
        { type: add ? "protect" : "unprotect", was: snap.id, id: now?.id },
        () =>
          `${add ? "protected" : "unprotected"} ${snap.shortId}${now && now.id !== snap.id ? ` (its id is now ${now.shortId})` : ""}`,
      );
      return 0;
    });
  };
}

export const run = tagCommand(true);

const shift = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

/** The snapshot restic wrote in place of `old`: same stack, another id, the nearest time. */
export function rewritten<T extends { id: string; stack?: string | null; time: string }>(
  candidates: T[],
  old: T,
): T | undefined {
  const others = candidates.filter((s) => s.stack === old.stack && s.id !== old.id);
  const gap = (s: T) => Math.abs(Date.parse(s.time) - Date.parse(old.time));
  return others.sort((a, b) => gap(a) - gap(b))[0] ?? candidates.find((s) => s.id === old.id);
}
