import { btui } from "../../command-hint";
import { DEFAULT_TARGET, type SyncTarget } from "../../config/targets";
import type { TransferProgress, TransferResult } from "../../rclone/rclone";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { describeRetry, withRetries } from "../run/retry";
import { assertFewSnapshotsRemoved, snapshotIds } from "./delete-guard";
import { DEFAULT_STALL_TIMEOUT_MS, gaveUp, retryableRemoteError } from "./remote-retry";
import { assertSameRepository } from "./repo-identity";

// MODE=mirror and MODE=append: the repository's files copied with rclone. A mirror is `rclone
// sync` (what the local repository lost, the copy loses, kept KEEP_DELETED_DAYS beside it); an
// append target is `rclone copy --immutable`: nothing there is ever deleted or rewritten.

export interface RcloneTargetRequest {
  dryRun?: boolean;
  bwlimit?: string;
  transfers?: number;
  force?: boolean;
  retryBaseMs?: number;
  stallTimeoutMs?: number;
  signal: AbortSignal;
  now?: Date;
}

/** What the target holds before anything is written: the tamper alarm's evidence. */
export interface RcloneTargetState {
  config?: string;
  snapshots: string[];
  bytes: number;
  files: number;
}

export interface RcloneTransfer {
  attempts: number;
  transfer?: TransferResult;
  verified?: { ok: boolean; differences: string[] };
  purgedDeletedDirs: string[];
}

const DATE_DIR = /^(\d{4}-\d{2}-\d{2})\/?$/;

const GAVE_UP_HINT =
  "Nothing was changed locally. Check that the remote is up and reachable (`rclone lsd REMOTE:`), then sync again: it resumes where it stopped.";

const remoteOf = (t: SyncTarget) => `${t.remote}:${t.path}`;

function retries(ctx: ServiceContext, req: RcloneTargetRequest) {
  return {
    attempts: ctx.config.cloud.retries,
    baseMs: req.retryBaseMs ?? 2000,
    signal: req.signal,
    retryable: retryableRemoteError,
  };
}

/** Reads the target's repository config, snapshot IDs and size (retried: the network may blink). */
export async function inspectRcloneTarget(
  ctx: ServiceContext,
  target: SyncTarget,
  req: RcloneTargetRequest,
  emit: EventSink,
): Promise<RcloneTargetState> {
  const remote = remoteOf(target);
  let attempts = 0;
  return withRetries(
    async (attempt) => {
      attempts = attempt;
      const config = await ctx.rclone.cat(`${remote}/config`, { signal: req.signal, timeoutMs: 120_000 });
      if (config === undefined) return { config, snapshots: [], bytes: 0, files: 0 };
      const snapshots = snapshotIds(await ctx.rclone.lsf(`${remote}/snapshots`, { signal: req.signal }));
      const size = await ctx.rclone.size(remote, { signal: req.signal });
      return { config, snapshots, bytes: size.bytes, files: size.count };
    },
    {
      ...retries(ctx, req),
      onRetry: (attempt, waitMs, err) =>
        emit({ type: "warning", message: `connecting to ${remote}: ${describeRetry(attempt, waitMs, err)}` }),
    },
  ).catch((err) => {
    throw gaveUp(err, `connecting to ${remote}`, attempts, req.signal, GAVE_UP_HINT);
  });
}

/**
 * Refuses to write a foreign, damaged or (mirror) much smaller local repository over the copy.
 * `restic check` runs once per sync, whichever targets follow (`checked`).
 */
export async function guardRcloneTarget(
  target: SyncTarget,
  state: RcloneTargetState,
  local: { repo: string; config?: string; snapshotIds: string[] },
  req: RcloneTargetRequest,
  checkLocal: () => Promise<void>,
): Promise<void> {
  const remote = remoteOf(target);
  assertSameRepository(
    { where: local.repo, config: local.config },
    { where: remote, config: state.config },
    "Each repository (each host) needs its own RCLONE_PATH; copying would mix two repositories. Choose another path.",
  );
  if (req.force) return;
  // By snapshot ID, before the (slow) check: an emptied repository passes `restic check`.
  if (target.mode === "mirror")
    assertFewSnapshotsRemoved({
      remote,
      remoteIds: state.snapshots,
      localIds: local.snapshotIds,
      maxDeletePercent: target.maxDeletePercent,
      repo: local.repo,
    });
  await checkLocal();
}

/** Copies the repository's files to the target, then compares: every local file must be there, equal. */
export async function transferToRcloneTarget(
  ctx: ServiceContext,
  target: SyncTarget,
  repo: string,
  req: RcloneTargetRequest,
  emit: EventSink,
): Promise<RcloneTransfer> {
  const remote = remoteOf(target);
  const cloud = ctx.config.cloud;
  const mirror = target.mode === "mirror";
  const day = (req.now ?? new Date()).toISOString().slice(0, 10);
  const deletedRoot = `${remote.replace(/\/+$/, "")}.deleted`;
  const out: RcloneTransfer = { attempts: 0, purgedDeletedDirs: [] };
  emit({ type: "phase", stack: "*", phase: "transfer", detail: `${repo} → ${remote}${mirror ? "" : " (append)"}` });
  const options = (attempt: number) => ({
    transfers: req.transfers ?? target.transfers,
    bwlimit: req.bwlimit ?? target.bandwidth,
    // An append target is never rewritten, --force or not: that is its point.
    immutable: !mirror || !req.force,
    dryRun: req.dryRun,
    timeoutMs: cloud.syncTimeoutSec * 1000,
    stallTimeoutMs: req.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    signal: req.signal,
    onProgress: (progress: TransferProgress) => emit({ type: "transfer", what: "sync", attempt, progress }),
  });
  out.transfer = await withRetries(
    (attempt) => {
      out.attempts = attempt;
      return mirror
        ? ctx.rclone.sync(repo, remote, {
            ...options(attempt),
            backupDir: target.keepDeletedDays > 0 ? `${deletedRoot}/${day}` : undefined,
          })
        : ctx.rclone.copy(repo, remote, options(attempt));
    },
    {
      ...retries(ctx, req),
      onRetry: (attempt, waitMs, err) =>
        emit({
          type: "warning",
          message: `sync${target.name === DEFAULT_TARGET ? "" : ` to ${target.name}:`} ${describeRetry(attempt, waitMs, err)}`,
        }),
    },
  ).catch((err) => {
    throw gaveUp(err, `sync to ${remote}`, out.attempts, req.signal, GAVE_UP_HINT);
  });
  if (req.dryRun) return out;
  emit({ type: "phase", stack: "*", phase: "compare", detail: target.name });
  out.verified = await ctx.rclone.check(repo, remote, {
    signal: req.signal,
    timeoutMs: cloud.syncTimeoutSec * 1000,
    oneWay: !mirror,
  });
  if (mirror)
    out.purgedDeletedDirs = await purgeOldDeleted(
      ctx,
      deletedRoot,
      target.keepDeletedDays,
      req.now ?? new Date(),
      req.signal,
    );
  return out;
}

/** Removes RCLONE_PATH.deleted/YYYY-MM-DD folders older than the keep period. */
async function purgeOldDeleted(
  ctx: ServiceContext,
  root: string,
  keepDays: number,
  now: Date,
  signal?: AbortSignal,
): Promise<string[]> {
  if (keepDays <= 0) return [];
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const purged: string[] = [];
  for (const entry of await ctx.rclone.lsf(root, { dirsOnly: true, signal })) {
    const m = DATE_DIR.exec(entry);
    if (!m || Date.parse(`${m[1]}T00:00:00Z`) >= cutoff) continue;
    await ctx.rclone.purge(`${root}/${m[1]}`, { signal });
    purged.push(m[1]);
  }
  return purged;
}

/** The hint for a repository missing locally (nothing to copy). */
export const noLocalRepositoryHint = (repo: string) =>
  `Nothing was sent. On a host that has backed up, check RESTIC_REPOSITORY in [local_backup]; on a new host whose backups are in the cloud copy, bring it back first with \`${btui(`restore ${repo}`)}\`; on a new setup, back up first (\`${btui("backup")}\`).`;
