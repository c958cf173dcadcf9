import { pathExists } from "../../fsops/probe";
import { dirname, join } from "node:path";
import { lexists, stagingRootFor, type SwapEntry, type SwapJournal } from "../../fsops/swap";
import { walk } from "../../fsops/tree";
import type { CatalogSnapshot } from "../../state/catalog";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { flushFilesystem } from "../run/flush";
import type { RestoreMapping } from "./plan";

/**
 * Where one restored path lands. When nothing is at its live path, the swap places the topmost
 * missing directory (inside the mapping's root), so nothing live is created before the swap.
 */
export interface Placement extends RestoreMapping {
  /** What restic restores (the mapping's source). */
  include: string;
  /** add: nothing is at live now; replace: live is replaced. */
  add: boolean;
  /** The mapping's root (the volume, stack directory or path the file is in) exists here: an added file shows in the running service at once. */
  rootExists: boolean;
  rootLive: string;
}

export function placementOf(m: RestoreMapping, rootLive: string): Placement {
  const base = { ...m, include: m.source, rootLive, rootExists: pathExists(rootLive) };
  if (lexists(m.live)) return { ...base, add: false };
  let live = m.live;
  let source = m.source;
  while (live !== rootLive && live.startsWith(`${rootLive}/`) && !lexists(dirname(live))) {
    live = dirname(live);
    source = dirname(source);
  }
  return { ...base, live, source, add: true };
}

/** Whether the restore stops the containers that use the data, and why (the plan and the dry run say it). */
export function stopNeed(placements: Placement[], oneFile: boolean): { stop: boolean; reason: string } {
  if (oneFile && placements.length && placements.every((p) => p.add && p.rootExists)) {
    return {
      stop: false,
      reason: `it only adds ${placements.map((p) => p.live).join(", ")}, which does not exist now: nothing in use is replaced, so nothing stops`,
    };
  }
  const replaced = placements.filter((p) => !p.add).map((p) => p.live);
  if (replaced.length) {
    return {
      stop: true,
      reason: `it replaces ${oneFile ? replaced.join(", ") : "the live data"}: the containers using it stop while it is swapped in, so none sees half the old and half the restored data or keeps writing to the replaced files`,
    };
  }
  return { stop: true, reason: "it recreates a path a running container mounts: the container restarts to see it" };
}

/**
 * Writes each placement's restored copy into staging beside it (nothing live is touched, the stack
 * keeps running). Every entry is journalled (writing) before restic writes anything; an entry turns
 * staged only after restic exited 0, re-read the files against the snapshot (--verify), the tree
 * matched the snapshot's listing and the copy was flushed to disk. A crash before that leaves an
 * entry a recovery discards.
 */
export async function stageCopies(
  ctx: ServiceContext,
  snap: CatalogSnapshot,
  placements: Placement[],
  runId: number,
  swaps: SwapJournal,
  emit: EventSink,
  o: { scope: string; signal: AbortSignal; roots: string[] },
): Promise<SwapEntry[]> {
  const entries: SwapEntry[] = [];
  for (const [i, p] of placements.entries()) {
    const root = await stagingRootFor(p.live, runId, dirname(p.rootLive));
    o.roots.push(root);
    entries.push({
      id: `${runId}-${i + 1}`,
      runId,
      live: p.live,
      staged: join(root, p.source),
      old: `${root}.old`,
      stagingRoot: root,
      owner: ctx.owner,
      state: "writing",
      placement: p.add ? "add" : "replace",
    });
  }
  for (const e of entries) swaps.write(e);
  for (const [i, p] of placements.entries()) {
    const e = entries[i];
    emit({
      type: "phase",
      stack: o.scope,
      phase: "restoring",
      detail: `writing a copy of ${p.live === p.include ? p.live : p.include} beside the live data`,
    });
    await ctx.restic.restore({
      snapshot: snap.id,
      target: e.stagingRoot,
      include: [p.include],
      verify: true,
      signal: o.signal,
    });
    const problem = await stagedMismatch(ctx, snap, p.include, join(e.stagingRoot, p.include));
    if (problem)
      throw new Error(
        `restic finished, but the restored copy of ${p.include} does not match the snapshot (${problem}); nothing live was changed`,
      );
    // On disk before the journal says it is complete: a power cut must not make it "staged" with empty files.
    await flushFilesystem(ctx, e.stagingRoot, "the restored copy", o.signal);
    e.state = "staged";
    swaps.write(e);
  }
  return entries;
}

/** The staged tree against the snapshot's listing: every entry there, of the same kind, files of the same size. */
async function stagedMismatch(
  ctx: ServiceContext,
  snap: CatalogSnapshot,
  source: string,
  staged: string,
): Promise<string | undefined> {
  const have = await walk(staged);
  const problems: string[] = [];
  for (const e of ctx.store.catalog.tree(snap.id, source)) {
    if (!["file", "dir", "symlink"].includes(e.type)) continue; // devices, fifos, sockets: restic's to decide
    const got = have.get(staged + e.path.slice(source.length));
    if (!got) problems.push(`${e.path} is missing`);
    else if (got.type !== e.type) problems.push(`${e.path} is a ${got.type}, not a ${e.type}`);
    else if (e.type === "file" && got.size !== (e.size ?? 0))
      problems.push(`${e.path} has ${got.size} bytes, not ${e.size ?? 0}`);
    if (problems.length >= 3) break;
  }
  if (!have.size && !problems.length) problems.push(`${source} was not restored`);
  return problems.length ? problems.join("; ") : undefined;
}
