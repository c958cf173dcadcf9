import { openContext, type CommandEnv } from "../app";
import { when } from "../format";
import { format, table } from "../output";
import { ensureIndexed, resolveSnapshot } from "../services/snapshots/catalog";

export async function run(
  env: CommandEnv,
  ref: string,
  path: string | undefined,
  o: { stack?: string; host?: string; recursive?: boolean },
): Promise<number> {
  const ctx = openContext(env);
  const snap = await resolveSnapshot(
    ctx,
    ref,
    { stack: o.stack, host: o.host, kind: o.stack ? "stack" : undefined },
    env.signal,
  );
  if (!ctx.store.catalog.isIndexed(snap.id))
    env.printer.info(`indexing snapshot ${snap.shortId} (once; browsing is instant afterwards)`);
  await ensureIndexed(ctx, snap, env.signal);
  const dir = path ? path.replace(/\/+$/, "") || "/" : undefined;
  const entries = dir
    ? o.recursive
      ? ctx.store.catalog.tree(snap.id, dir)
      : ctx.store.catalog.children(snap.id, dir)
    : snap.paths.map(
        (p) => ctx.store.catalog.file(snap.id, p) ?? { snapshotId: snap.id, path: p, name: p, type: "dir" },
      );
  env.printer.result({ type: "ls", snapshot: snap.id, path: dir ?? null, entries }, () =>
    entries.length
      ? table(
          ["TYPE", "SIZE", "MODIFIED", "PATH"],
          entries.map((e) => [
            e.type,
            e.type === "file" ? format.bytes(e.size) : "",
            e.mtime ? when(e.mtime, true) : "",
            e.path,
          ]),
        )
      : `nothing at ${dir} in snapshot ${snap.shortId}`,
  );
  return 0;
}
