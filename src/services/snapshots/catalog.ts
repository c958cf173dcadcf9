import { btui } from "../../command-hint";
import { AppError, ExitCode } from "../../errors";
import type { CatalogSnapshot } from "../../state/catalog";
import type { ServiceContext } from "../run/context";
import { EVENT_TAG, STATUS_TAG } from "../fleet/document";

/** Re-reads restic's snapshot list into the catalog (also picks up snapshots made by plain restic). */
export async function refreshCatalog(
  ctx: ServiceContext,
  signal?: AbortSignal,
): Promise<{ added: number; removed: number; total: number }> {
  // Hosts' published status snapshots and event claims are the fleet's, not backups: `status --fleet` reads them.
  const all = (await ctx.restic.snapshots({ signal })).filter(
    (s) => !s.tags.includes(STATUS_TAG) && !s.tags.includes(EVENT_TAG),
  );
  const r = ctx.store.catalog.sync(all);
  return { ...r, total: all.length };
}

/** Refreshes once when the catalog has never been filled. */
export async function ensureCatalog(ctx: ServiceContext, signal?: AbortSignal): Promise<void> {
  if (!ctx.store.catalog.refreshedAt()) await refreshCatalog(ctx, signal);
}

/** Indexes a snapshot's file tree on first use; afterwards browsing needs no restic. */
export async function ensureIndexed(ctx: ServiceContext, snap: CatalogSnapshot, signal?: AbortSignal): Promise<void> {
  if (ctx.store.catalog.isIndexed(snap.id)) return;
  await ctx.store.catalog.index(snap.id, (add) => ctx.restic.ls(snap.id, add, { signal }));
}

/** A snapshot by id prefix or `latest` (newest kind:stack of a stack for a host). */
export async function resolveSnapshot(
  ctx: ServiceContext,
  ref: string,
  scope: { stack?: string; host?: string; kind?: string; tag?: string } = {},
  signal?: AbortSignal,
): Promise<CatalogSnapshot> {
  // An id is hex: "", "%" or "_" would otherwise match whatever single snapshot there is.
  if (ref !== "latest" && !/^[0-9a-f]{4,64}$/i.test(ref)) {
    throw new AppError(
      `${JSON.stringify(ref.slice(0, 80))} is not a snapshot id`,
      ExitCode.usage,
      `Give at least 4 hex digits of the id (\`${btui("snapshots")}\` lists them), or latest.`,
    );
  }
  await ensureCatalog(ctx, signal);
  const find = () =>
    ref === "latest"
      ? ctx.store.catalog.list({
          stack: scope.stack,
          host: scope.host,
          tag: scope.tag ?? (scope.kind ? `kind:${scope.kind}` : undefined),
          limit: 1,
        })[0]
      : ctx.store.catalog.resolve(ref);
  let snap = find();
  if (!snap) {
    await refreshCatalog(ctx, signal);
    snap = find();
  }
  if (!snap) {
    const what =
      ref === "latest"
        ? `no snapshot${scope.stack ? ` of stack ${scope.stack}` : ""}${scope.host ? ` from host ${scope.host}` : ""}`
        : `no single snapshot matches ${JSON.stringify(ref)}`;
    throw new AppError(
      what,
      ExitCode.usage,
      `List them with \`${btui("snapshots")}\` (add --host for another machine's).`,
    );
  }
  return snap;
}
