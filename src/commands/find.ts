import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { format, table } from "../output";
import { ensureCatalog, ensureIndexed } from "../services/snapshots/catalog";

export async function run(
  env: CommandEnv,
  pattern: string,
  o: { stack?: string; host?: string; snapshots: string },
): Promise<number> {
  const per = Number(o.snapshots);
  if (!Number.isInteger(per) || per < 1)
    throw new UsageError(`--snapshots must be a positive whole number (got ${JSON.stringify(o.snapshots)})`);
  const ctx = openContext(env);
  await ensureCatalog(ctx, env.signal);
  const snaps = ctx.store.catalog.list({ stack: o.stack, host: o.host, latestPerStack: per });
  for (const s of snaps) {
    if (!s.indexed) env.printer.info(`indexing snapshot ${s.shortId} (${s.stack ?? "-"})`);
    await ensureIndexed(ctx, s, env.signal);
  }
  if (!pattern.trim() || pattern.length > 1024)
    throw new UsageError(`the pattern must be 1 to 1024 characters (got ${pattern.length})`);
  const glob = /[*?[]/.test(pattern) ? pattern : `*${pattern}*`;
  const hits = ctx.store.catalog.find(
    glob,
    snaps.map((s) => s.id),
  );
  const byId = new Map(snaps.map((s) => [s.id, s]));
  env.printer.result({ type: "find", pattern: glob, searched: snaps.length, matches: hits }, () =>
    hits.length
      ? table(
          ["SNAPSHOT", "TIME", "STACK", "SIZE", "PATH"],
          hits.map((h) => {
            const s = byId.get(h.snapshotId)!;
            return [
              s.shortId,
              format.when(s.time),
              s.stack ?? "-",
              h.type === "file" ? format.bytes(h.size) : h.type,
              h.path,
            ];
          }),
        )
      : `no match for ${glob} in ${snaps.length} snapshot(s)`,
  );
  return 0;
}
