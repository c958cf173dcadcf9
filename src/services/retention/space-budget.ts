import { btui } from "../../command-hint";
import { filesystemSpace } from "../../fsops/probe";
import { parseDuration } from "../../duration";
import { format } from "../../format";
import type { CatalogSnapshot } from "../../state/catalog";
import { forgottenIds } from "../../restic/copies";
import type { PendingDeletion } from "../../state/store";
import { refreshCatalog } from "../snapshots/catalog";
import type { ServiceContext } from "../run/context";

// Pruning beyond the keep policy: a size budget for the repository (MAX_REPO_SIZE) and a
// free-space floor for a local one (MIN_FREE_PERCENT). The oldest unprotected snapshots go
// first, never a stack's (or volume's) newest; with NOTIFY_BEFORE_DELETE they are announced
// and only forgotten once the delay has passed and nobody cancelled them.

export interface SpaceCheck {
  repoBytes?: number;
  maxBytes?: number;
  freePercent?: number;
  minFreePercent?: number;
  /** Bytes to free to be within both limits (0: fine). */
  needBytes: number;
  reasons: string[];
}

export interface SpaceResult {
  before: SpaceCheck;
  after: SpaceCheck;
  /** Forgotten now (pending ones that came due, or chosen at once). */
  deleted: CatalogSnapshot[];
  /** Newly announced, forgotten at their due time. */
  pending: PendingDeletion[];
  /** Still over after every candidate was used: only protected or newest snapshots are left. */
  exhausted: boolean;
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "500G", "1.5TiB", "2T" → bytes (binary units, as restic and df -h count). */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

/** A repository on this machine's filesystem (no scheme such as s3: or sftp:). */
export function isLocalRepository(repo: string): boolean {
  return !/^[a-z0-9]+:/i.test(repo) || /^local:/i.test(repo);
}

export function spaceConfigured(ctx: ServiceContext): boolean {
  const s = ctx.config.space;
  return (
    s.maxRepoSize !== undefined || (s.minFreePercent !== undefined && isLocalRepository(ctx.config.restic.repository))
  );
}

/** Free space of the filesystem holding a local repository, in percent and bytes. */
export function freeSpace(repo: string): { percent: number; freeBytes: number; totalBytes: number } {
  const { freeBytes, totalBytes } = filesystemSpace(repo.replace(/^local:/i, ""));
  return { percent: totalBytes ? (freeBytes / totalBytes) * 100 : 100, freeBytes, totalBytes };
}

export async function checkSpace(ctx: ServiceContext, signal?: AbortSignal): Promise<SpaceCheck> {
  const s = ctx.config.space;
  const out: SpaceCheck = { needBytes: 0, reasons: [] };
  if (s.maxRepoSize !== undefined) {
    out.maxBytes = parseSize(s.maxRepoSize);
    out.repoBytes = (await ctx.restic.stats({ mode: "raw-data", signal })).totalSize;
    if (out.repoBytes > out.maxBytes) {
      out.needBytes = out.repoBytes - out.maxBytes;
      out.reasons.push(`the repository holds ${format.bytes(out.repoBytes)}, over MAX_REPO_SIZE ${s.maxRepoSize}`);
    }
  }
  if (s.minFreePercent !== undefined && isLocalRepository(ctx.config.restic.repository)) {
    const f = freeSpace(ctx.config.restic.repository);
    out.freePercent = f.percent;
    out.minFreePercent = s.minFreePercent;
    if (f.percent < s.minFreePercent) {
      out.needBytes = Math.max(out.needBytes, Math.ceil((s.minFreePercent / 100) * f.totalBytes - f.freeBytes));
      out.reasons.push(
        `only ${f.percent.toFixed(1)}% of the repository's filesystem is free, under MIN_FREE_PERCENT ${s.minFreePercent}%`,
      );
    }
  }
  return out;
}

/** The snapshot's group: one stack (or volume) on one host; kinds other than stack/volume have none. */
function groupOf(s: CatalogSnapshot): string | undefined {
  if (s.kind === "stack") return `${s.host}\0stack\0${s.stack}`;
  if (s.kind === "volume") return `${s.host}\0vol\0${s.tags.filter((t) => t.startsWith("vol:")).join(",")}`;
  return undefined;
}

/** What may go for space, oldest first: never protected, never the newest of its stack or volume. */
export function spaceCandidates(snaps: CatalogSnapshot[], exclude: Set<string> = new Set()): CatalogSnapshot[] {
  const newest = new Map<string, CatalogSnapshot>();
  for (const s of snaps) {
    const g = groupOf(s);
    if (g && (!newest.has(g) || newest.get(g)!.time < s.time)) newest.set(g, s);
  }
  const keep = new Set([...newest.values()].map((s) => s.id));
  return snaps
    .filter((s) => !s.protected && !keep.has(s.id) && !exclude.has(s.id))
    .sort((a, b) => a.time.localeCompare(b.time));
}

/**
 * The oldest candidates whose added data (the best estimate of what forgetting them frees)
 * covers the need; at least one when anything is needed.
 */
export function chooseForSpace(candidates: CatalogSnapshot[], needBytes: number): CatalogSnapshot[] {
  const chosen: CatalogSnapshot[] = [];
  let freed = 0;
  for (const c of candidates) {
    if (freed >= needBytes && chosen.length) break;
    chosen.push(c);
    freed += c.dataAdded ?? 0;
  }
  return needBytes > 0 ? chosen : [];
}

/**
 * Brings the repository within its limits. Pending deletions that came due are forgotten
 * first (if still there and unprotected); then, while over, either new pending deletions are
 * announced (NOTIFY_BEFORE_DELETE, unless `immediate`) or the oldest candidates are forgotten
 * and pruned, re-measuring after each round. Runs under the repository lock.
 */
export async function enforceSpace(
  ctx: ServiceContext,
  o: { immediate?: boolean; signal?: AbortSignal; now?: Date } = {},
): Promise<SpaceResult> {
  const now = o.now ?? new Date();
  await refreshCatalog(ctx, o.signal);
  const deleted: CatalogSnapshot[] = [];
  const forget = async (snaps: CatalogSnapshot[]) => {
    if (!snaps.length) return;
    const ids = snaps.map((s) => s.id);
    await ctx.restic.forget({ ids, prune: true, signal: o.signal });
    ctx.store.targets.recordForgotten(forgottenIds(snaps), new Date().toISOString());
    ctx.store.cancelPending(ids);
    deleted.push(...snaps);
    await refreshCatalog(ctx, o.signal);
  };

  // Only this host's snapshots: another machine sharing the repository keeps its own.
  const mine = () => ctx.store.catalog.list({ includeHot: true, host: ctx.config.hostname });
  const byId = new Map(mine().map((s) => [s.id, s]));
  const pending = ctx.store.pendingDeletions();
  const due = pending.filter((p) => p.dueAt <= now.toISOString());
  // Gone (forgotten by hand) or protected since it was announced: no longer pending.
  ctx.store.cancelPending(
    due.filter((p) => !byId.get(p.snapshotId) || byId.get(p.snapshotId)!.protected).map((p) => p.snapshotId),
  );
  const before = await checkSpace(ctx, o.signal);
  if (before.needBytes > 0)
    await forget(due.map((p) => byId.get(p.snapshotId)).filter((s): s is CatalogSnapshot => !!s && !s.protected));
  let check = deleted.length ? await checkSpace(ctx, o.signal) : before;

  if (check.needBytes <= 0) {
    const dropped = ctx.store.cancelPending();
    if (dropped) ctx.log.info({ dropped }, "within the space limits: pending deletions no longer needed");
    return { before, after: check, deleted, pending: [], exhausted: false };
  }

  const delayMs =
    ctx.config.space.notifyBeforeDelete && !o.immediate
      ? parseDuration(ctx.config.space.notifyBeforeDelete, "NOTIFY_BEFORE_DELETE")
      : 0;
  if (delayMs) {
    const waiting = ctx.store.pendingDeletions();
    const stillNeeded = check.needBytes - waiting.reduce((n, p) => n + (byId.get(p.snapshotId)?.dataAdded ?? 0), 0);
    const cands = spaceCandidates(mine(), new Set(waiting.map((p) => p.snapshotId)));
    const chosen = waiting.length && stillNeeded <= 0 ? [] : chooseForSpace(cands, Math.max(stillNeeded, 1));
    const rows: PendingDeletion[] = chosen.map((s) => ({
      snapshotId: s.id,
      shortId: s.shortId,
      stack: s.stack,
      host: s.host,
      time: s.time,
      reason: check.reasons.join("; "),
      dueAt: new Date(now.getTime() + delayMs).toISOString(),
      createdAt: now.toISOString(),
    }));
    ctx.store.addPending(rows);
    return { before, after: check, deleted, pending: rows, exhausted: !cands.length && !waiting.length };
  }

  for (let round = 0; round < 20 && check.needBytes > 0; round++) {
    const chosen = chooseForSpace(spaceCandidates(mine()), check.needBytes);
    if (!chosen.length) break;
    await forget(chosen);
    check = await checkSpace(ctx, o.signal);
  }
  return { before, after: check, deleted, pending: [], exhausted: check.needBytes > 0 };
}

/** What the space limits did, in words (notifications, the CLI). */
export function spaceLines(space: SpaceResult): string[] {
  const when = (s: { shortId: string; stack?: string; time: string }) =>
    `${s.shortId} (${s.stack ?? "-"}, ${format.when(s.time)})`;
  return [
    ...space.before.reasons,
    ...(space.deleted.length ? [`forgotten for space: ${space.deleted.map(when).join(", ")}`] : []),
    ...(space.pending.length
      ? [
          `to be forgotten for space at ${format.when(space.pending[0].dueAt)} unless cancelled (\`${btui("prune --cancel")}\`): ${space.pending.map(when).join(", ")}`,
        ]
      : []),
  ];
}
