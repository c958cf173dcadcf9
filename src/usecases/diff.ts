import { btui } from "../command-hint";
import { AppError, ExitCode } from "../errors";
import { walk } from "../fsops/tree";
import { isDumpsPath, isManifestPath, mapPaths } from "../services/restore/plan";
import { readManifest } from "../services/restore/restore";
import type { ServiceContext } from "../services/run/context";
import { ensureIndexed, resolveSnapshot } from "../services/snapshots/catalog";
import { diffEntries, snapshotSide, type DiffSide, type TreeDiff } from "../services/snapshots/diff";
import type { CatalogSnapshot } from "../state/catalog";
import type { JobHooks } from "./hooks";

// `backup-tui diff SNAP [SNAP2|--live]`: what changed between two snapshots (by default the one
// before SNAP, same stack and host) or between a snapshot and the live data, per volume and path,
// from the catalog's indexed listings (restic is asked once per snapshot, to index it).

export interface DiffRequest {
  from: string;
  to?: string;
  live?: boolean;
  /** With `latest`: that stack's, that host's. */
  stack?: string;
  host?: string;
}

export interface DiffSection {
  /** The path compared: a snapshot root (live: where it is on this host). */
  root: string;
  /** The volume it is the data of, where known. */
  volume?: string;
  diff: TreeDiff;
}

type SnapshotRef = Pick<CatalogSnapshot, "id" | "shortId" | "time" | "stack" | "host">;

export interface DiffReport {
  from: SnapshotRef;
  /** The newer side: a snapshot, or the live data now. */
  to: SnapshotRef | "live";
  sections: DiffSection[];
  totals: { added: number; removed: number; changed: number; bytes: number };
}

const ref = (s: CatalogSnapshot): SnapshotRef => ({
  id: s.id,
  shortId: s.shortId,
  time: s.time,
  stack: s.stack,
  host: s.host,
});
const volumeOf = (path: string) => /\/volumes\/([^/]+)\/_data$/.exec(path)?.[1];

export async function diffJob(
  ctx: ServiceContext,
  req: DiffRequest,
  hooks: Pick<JobHooks, "signal">,
): Promise<DiffReport> {
  if (req.live && req.to)
    throw new AppError("give a second snapshot or --live, not both", ExitCode.usage, `\`${btui("diff SNAP --live")}\``);
  const signal = hooks.signal;
  const a = await resolveSnapshot(
    ctx,
    req.from,
    { stack: req.stack, host: req.host, kind: req.stack ? "stack" : undefined },
    signal,
  );
  const sections: DiffSection[] = [];
  let from = a;
  let to: DiffReport["to"];
  await ensureIndexed(ctx, a, signal);
  if (req.live) {
    to = "live";
    // Each snapshot path where it is on this host (a volume by name, wherever Docker keeps it here).
    const manifest = await readManifest(ctx, a, signal);
    const mountpoints = new Map<string, string>();
    for (const v of manifest?.volumes ?? []) {
      const here = await ctx.docker.inspectVolume(v.name);
      if (here) mountpoints.set(v.name, here.mountpoint);
    }
    for (const m of mapPaths(a.paths, manifest, mountpoints).filter((x) => !isDumpsPath(x.source))) {
      const older = snapshotSide(ctx.store.catalog.tree(a.id, m.source), m.source, m.live);
      const newer: Map<string, DiffSide> = await walk(m.live);
      sections.push({ root: m.live, volume: m.volume ?? volumeOf(m.live), diff: diffEntries(older, newer) });
    }
  } else {
    // SNAP alone is the newer side: what its backup changed since the snapshot before it.
    const [first, second] = req.to ? [a, await resolveSnapshot(ctx, req.to, {}, signal)] : [previousOf(ctx, a), a];
    from = first;
    to = ref(second);
    await ensureIndexed(ctx, first, signal);
    await ensureIndexed(ctx, second, signal);
    const roots = [...new Set([...first.paths, ...second.paths])].filter((p) => !isManifestPath(p)).sort();
    for (const root of roots) {
      const side = (s: CatalogSnapshot) =>
        snapshotSide(s.paths.includes(root) ? ctx.store.catalog.tree(s.id, root) : []);
      sections.push({ root, volume: volumeOf(root), diff: diffEntries(side(first), side(second)) });
    }
  }
  const sum = (k: "added" | "removed" | "changed") => sections.reduce((n, s) => n + s.diff[k].length, 0);
  return {
    from: ref(from),
    to,
    sections,
    totals: {
      added: sum("added"),
      removed: sum("removed"),
      changed: sum("changed"),
      bytes: sections.reduce((n, s) => n + s.diff.bytes, 0),
    },
  };
}

/** The snapshot before `s` of the same stack, host and kind: what `diff SNAP` compares it with. */
function previousOf(ctx: ServiceContext, s: CatalogSnapshot): CatalogSnapshot {
  const before = ctx.store.catalog
    .list({ stack: s.stack, host: s.host, until: s.time, tag: s.kind ? `kind:${s.kind}` : undefined })
    .filter((x) => x.id !== s.id && x.time <= s.time);
  if (!before.length)
    throw new AppError(
      `snapshot ${s.shortId} is the first of ${s.stack ? `stack ${s.stack}` : "its kind"} on ${s.host}: nothing to compare it with`,
      ExitCode.usage,
      `Compare it with the live data (\`${btui(`diff ${s.shortId} --live`)}\`) or name a second snapshot.`,
    );
  return before[0];
}
