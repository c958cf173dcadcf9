import { btui } from "../command-hint";
import { AppError, ExitCode } from "../errors";
import { applyRetention, runRetention, type RetentionResult } from "../services/retention/retention";
import type { SpaceResult } from "../services/retention/space-budget";
import type { ServiceContext } from "../services/run/context";
import { withRunLock } from "../services/run/repository-lock";
import { ensureCatalog, refreshCatalog, resolveSnapshot } from "../services/snapshots/catalog";
import { requireConfirmation, type Confirmation } from "../security/confirm";
import { when } from "../format";
import type { CatalogSnapshot } from "../state/catalog";
import { forgottenIds } from "../restic/copies";
import type { JobHooks } from "./hooks";

// forget, prune, delete, protect/unprotect: the jobs that change which snapshots the repository
// keeps. forget, prune and delete demand a confirmation themselves (src/security/confirm.ts), as
// restore does; each job runs under the repository lock and leaves the catalog as the repository is.

/**
 * The consent of a scheduled retention run: the keep policy the admin configured (while a
 * confirmation password is set, that policy can only come from the config file: loadConfig refuses
 * an environment override of a key that decides what gets deleted). Only forget takes it.
 */
export const CONFIGURED_POLICY = "the configured keep policy";

export const forgetAction = (stacks: string[], prune?: boolean): string =>
  `apply retention to ${stacks.length} stack(s)${prune ? " and prune" : ""}`;
export const PRUNE_ACTION = "prune the repository (delete data no snapshot uses)";
export const deleteAction = (snaps: CatalogSnapshot[]): string =>
  `delete ${snaps.length} snapshot(s): ${snaps.map((s) => `${s.shortId} (${s.stack ?? "-"}, ${when(s.time)})`).join(", ")}`;

export interface ForgetReport {
  dryRun: boolean;
  results: RetentionResult[];
  space?: SpaceResult;
  exitCode: number;
}

/** The stacks retention covers: the one named, else every stack the catalog has snapshots of. */
export async function retentionStacks(ctx: ServiceContext, stack: string | undefined, signal: AbortSignal) {
  await ensureCatalog(ctx, signal);
  if (stack) return [stack];
  const names = ctx.store.catalog
    .list({})
    .filter((s) => s.kind === "stack" && s.stack)
    .map((s) => s.stack!);
  return [...new Set(names)].sort();
}

/** `forget`: the keep policy per stack (never `protected`), optionally pruning and the space limits. */
export async function forgetJob(
  ctx: ServiceContext,
  req: {
    stacks: string[];
    dryRun?: boolean;
    prune?: boolean;
    confirmation?: Confirmation | typeof CONFIGURED_POLICY;
  },
  hooks: Omit<JobHooks, "emit">,
): Promise<ForgetReport> {
  if (!req.dryRun) {
    if (req.confirmation === CONFIGURED_POLICY)
      ctx.log.info({ stacks: req.stacks }, "retention by the configured policy");
    else requireConfirmation(ctx, forgetAction(req.stacks, req.prune), req.confirmation);
  }
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    if (req.dryRun) {
      const results = await applyRetention(ctx, req.stacks, { dryRun: true, signal });
      return { dryRun: true, results, exitCode: ExitCode.ok };
    }
    const { results, space } = await runRetention(ctx, req.stacks, { prune: req.prune, signal });
    await refreshCatalog(ctx, signal);
    return { dryRun: false, results, space, exitCode: space?.exhausted ? ExitCode.failed : ExitCode.ok };
  });
}

/** `prune`: frees data no snapshot uses. */
export async function pruneJob(
  ctx: ServiceContext,
  req: { confirmation?: Confirmation },
  hooks: Omit<JobHooks, "emit">,
): Promise<void> {
  requireConfirmation(ctx, PRUNE_ACTION, req.confirmation);
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, (signal) => ctx.restic.prune(signal));
}

/** The snapshots `delete` would remove; a protected one refuses the whole deletion. */
export async function snapshotsToDelete(
  ctx: ServiceContext,
  refs: string[],
  signal: AbortSignal,
): Promise<CatalogSnapshot[]> {
  const snaps: CatalogSnapshot[] = [];
  for (const ref of refs) snaps.push(await resolveSnapshot(ctx, ref, {}, signal));
  assertNoneProtected(snaps);
  return snaps;
}

function assertNoneProtected(snaps: CatalogSnapshot[]): void {
  const kept = snaps.filter((s) => s.protected);
  if (!kept.length) return;
  throw new AppError(
    `${kept.map((s) => s.shortId).join(", ")} ${kept.length === 1 ? "is" : "are"} protected`,
    ExitCode.usage,
    `Run \`${btui("unprotect ID")}\` first if you really mean it.`,
  );
}

/** `delete`: forgets the given snapshots (never a protected one), optionally pruning. */
export async function deleteJob(
  ctx: ServiceContext,
  req: { snapshots: CatalogSnapshot[]; prune?: boolean; confirmation?: Confirmation },
  hooks: Omit<JobHooks, "emit">,
): Promise<{ ids: string[]; pruned: boolean }> {
  assertNoneProtected(req.snapshots);
  requireConfirmation(ctx, deleteAction(req.snapshots), req.confirmation);
  const ids = req.snapshots.map((s) => s.id);
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await ctx.restic.forget({ ids, prune: req.prune, signal });
    ctx.store.targets.recordForgotten(forgottenIds(req.snapshots), new Date().toISOString());
    await refreshCatalog(ctx, signal);
    return { ids, pruned: !!req.prune };
  });
}

export interface ProtectReport {
  protected: boolean;
  was: CatalogSnapshot;
  /** The snapshot as restic rewrote it (its tags changed: a new id), found again in the catalog. */
  now?: CatalogSnapshot;
}

/** `protect` / `unprotect`: the `protected` tag, which retention and delete respect. */
export function protectJob(
  ctx: ServiceContext,
  req: { snapshot: CatalogSnapshot; protect: boolean },
  hooks: Omit<JobHooks, "emit">,
): Promise<ProtectReport> {
  const snap = req.snapshot;
  return withRunLock(ctx, hooks.signal, hooks.lock ?? {}, async (signal) => {
    await ctx.restic.tag([snap.id], req.protect ? { add: ["protected"] } : { remove: ["protected"] }, signal);
    await refreshCatalog(ctx, signal);
    // restic rewrites a snapshot when its tags change: find it again by host, stack and time
    // (within a second: a catalog row written at backup time may hold a rounded time).
    const candidates = ctx.store.catalog.list({
      host: snap.host,
      since: shift(snap.time, -1),
      until: shift(snap.time, 1),
      includeHot: true,
    });
    // Rewritten: the old id left the repository by this host's doing, no tamper when a target loses it.
    if (!candidates.some((s) => s.id === snap.id))
      ctx.store.targets.recordForgotten([snap.id], new Date().toISOString());
    return { protected: req.protect, was: snap, now: rewritten(candidates, snap) };
  });
}

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

/** `prune --cancel [ID...]`: calls off pending space deletions (all, or those ids); no lock, the store only. */
export function cancelDeletions(
  ctx: ServiceContext,
  ids: string[],
): { before: number; cancelled: number; left: number } {
  const before = ctx.store.pendingDeletions().length;
  const cancelled = ctx.store.cancelPending(ids.length ? ids : undefined);
  ctx.log.info({ cancelled, ids }, "pending deletions cancelled");
  return { before, cancelled, left: ctx.store.pendingDeletions().length };
}
