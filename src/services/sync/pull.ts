import { btui } from "../../command-hint";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { endedWith } from "../run/after-run";
import { isEmptyDir, localRepoFacts } from "../../fsops/repo-files";
import type { Snapshot } from "../../restic/json";
import type { TransferResult } from "../../rclone/rclone";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { assertSameRepository } from "./repo-identity";
import { describeRetry, withRetries } from "../run/retry";
import { DEFAULT_STALL_TIMEOUT_MS, gaveUp, retryableRemoteError } from "./remote-retry";
import { remotePath } from "./sync";
import { type SyncTarget, targetWhere } from "../../config/targets";
import { pullResticTarget } from "./pull-restic";

/** Where the copy is: an rclone copy's remote:path, or a restic target's repository (masked). */
function pullSource(t: SyncTarget): string {
  return targetWhere(t);
}

export interface PullRequest {
  /** The copy to pull (default: [cloud_sync]'s remote). */
  from?: SyncTarget;
  /** Where the repository goes (default: the configured local repository path). */
  path?: string;
  force?: boolean;
  retryBaseMs?: number;
  /** Stop an rclone run that makes no progress for this long and retry (default 2 min). */
  stallTimeoutMs?: number;
  signal: AbortSignal;
}

export interface StackSummary {
  stack: string;
  host: string;
  snapshots: number;
  latest: string;
  latestId: string;
}

export interface PullReport {
  runId: number;
  remote: string;
  path: string;
  attempts: number;
  transfer?: TransferResult;
  /** From a restic target: the snapshots copied into the new repository (they get new ids there). */
  copied?: number;
  checkOk: boolean;
  checkOutput?: string;
  stacks: StackSummary[];
  exitCode: number;
}

/** Snapshots of kind:stack grouped by stack and host, newest first. */
export function summarizeStacks(snapshots: Snapshot[]): StackSummary[] {
  const groups = new Map<string, Snapshot[]>();
  for (const s of snapshots) {
    if (!s.tags.includes("kind:stack")) continue;
    const stack = s.tags.find((t) => t.startsWith("stack:"))?.slice(6);
    if (!stack) continue;
    const key = `${stack}\u0000${s.hostname}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.entries()]
    .map(([key, list]) => {
      const [stack, host] = key.split("\u0000");
      const latest = list.reduce((a, b) => (Date.parse(b.time) > Date.parse(a.time) ? b : a));
      return { stack, host, snapshots: list.length, latest: latest.time, latestId: latest.id };
    })
    .sort((a, b) => a.stack.localeCompare(b.stack) || a.host.localeCompare(b.host));
}

/**
 * Stage 3: copies the repository from the cloud into an empty directory (rerunning after an
 * interruption converges), then proves it opens with the configured password and passes
 * `restic check`, and lists what can be restored.
 */
export async function pullRepository(ctx: ServiceContext, req: PullRequest, emit: EventSink): Promise<PullReport> {
  const remote = req.from ? pullSource(req.from) : remotePath(ctx);
  const path = req.path ?? ctx.config.restic.repository;
  if (!path.startsWith("/"))
    throw new AppError(
      `${path} is not a local directory`,
      ExitCode.usage,
      `Give an absolute path: \`${btui("restore /srv/restic-repo")}\`.`,
    );
  if (!req.force && !isEmptyDir(path) && !(await looksLikePartialPull(ctx, path))) {
    throw new AppError(
      `${path} is not empty`,
      ExitCode.usage,
      "Pull into an empty or missing directory, or pass --force to copy into it (existing files that match are kept).",
    );
  }
  const runId = ctx.store.startRun("restore", "manual", ctx.owner);
  const report: PullReport = { runId, remote, path, attempts: 0, checkOk: false, stacks: [], exitCode: ExitCode.ok };
  try {
    if (req.from?.mode === "restic") {
      report.attempts = 1;
      report.copied = await pullResticTarget(ctx, req.from, path, req.signal, emit);
    } else await pullFiles(ctx, remote, path, req, report, emit);
    const restic = ctx.resticFor(path);
    emit({ type: "phase", stack: "*", phase: "check-local", detail: "opening it with the configured password" });
    report.stacks = summarizeStacks(await restic.snapshots({ signal: req.signal }));
    const check = await restic.check({ signal: req.signal });
    report.checkOk = check.ok;
    report.checkOutput = check.ok ? undefined : check.output.trim().split("\n").slice(-8).join("\n");
    report.exitCode = check.ok ? ExitCode.ok : ExitCode.failed;
    ctx.store.finishRun(
      runId,
      check.ok ? "succeeded" : "failed",
      report.exitCode,
      check.ok ? undefined : "restic check failed on the pulled repository",
      report,
    );
    return report;
  } catch (err) {
    const ended = endedWith(
      req.signal,
      err instanceof AppError && err.exitCode === ExitCode.usage ? ExitCode.usage : ExitCode.failed,
    );
    ctx.store.finishRun(runId, ended.status, ended.exitCode, errorMessage(err), report);
    throw err;
  }
}

/** The copy's files (a mirror or append copy) into `path` with rclone, retried; converges when run again. */
async function pullFiles(
  ctx: ServiceContext,
  remote: string,
  path: string,
  req: PullRequest,
  report: PullReport,
  emit: EventSink,
): Promise<void> {
  emit({ type: "phase", stack: "*", phase: "connect", detail: remote });
  const retries = {
    attempts: ctx.config.cloud.retries,
    baseMs: req.retryBaseMs ?? 2000,
    signal: req.signal,
    retryable: retryableRemoteError,
  };
  const hint = `What was copied so far stays in ${path}. Check that the remote is up and reachable (\`rclone lsd REMOTE:\`), then run the same command again: it continues where it stopped.`;
  let connectAttempts = 0;
  const config = await withRetries(
    (attempt) => {
      connectAttempts = attempt;
      return ctx.rclone.cat(`${remote}/config`, { signal: req.signal });
    },
    {
      ...retries,
      onRetry: (attempt, waitMs, err) =>
        emit({ type: "warning", message: `connecting to ${remote}: ${describeRetry(attempt, waitMs, err)}` }),
    },
  ).catch((err) => {
    throw gaveUp(err, `connecting to ${remote}`, connectAttempts, req.signal, hint);
  });
  if (config === undefined) {
    throw new AppError(
      `${remote} holds no restic repository (no config file)`,
      ExitCode.failed,
      "Check RCLONE_REMOTE and RCLONE_PATH in [cloud_sync].",
    );
  }
  // A repository already there (a partial pull, or --force) must be the same one: copying would overwrite its config and mix the two.
  assertSameRepository(
    { where: remote, config },
    { where: path, config: localRepoFacts(path).config },
    "Pull into an empty or missing directory (the cloud copy is a different repository from the one there), or check RCLONE_REMOTE and RCLONE_PATH in [cloud_sync].",
  );
  emit({ type: "phase", stack: "*", phase: "transfer", detail: `${remote} → ${path}` });
  report.transfer = await withRetries(
    (attempt) => {
      report.attempts = attempt;
      return ctx.rclone.copy(remote, path, {
        transfers: ctx.config.cloud.transfers,
        bwlimit: ctx.config.cloud.bandwidth,
        timeoutMs: ctx.config.cloud.syncTimeoutSec * 1000,
        stallTimeoutMs: req.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
        signal: req.signal,
        onProgress: (progress) => emit({ type: "transfer", what: "pull", attempt, progress }),
      });
    },
    {
      ...retries,
      onRetry: (attempt, waitMs, err) =>
        emit({ type: "warning", message: `pull ${describeRetry(attempt, waitMs, err)}` }),
    },
  ).catch((err) => {
    throw gaveUp(err, `pull from ${remote}`, report.attempts, req.signal, hint);
  });
}

/** A directory holding an earlier, interrupted pull (a restic layout) may be continued. */
async function looksLikePartialPull(ctx: ServiceContext, path: string): Promise<boolean> {
  const entries = await ctx.rclone.lsf(path).catch(() => [] as string[]);
  return (
    entries.length > 0 &&
    entries.every((e) => ["config", "data/", "index/", "keys/", "locks/", "snapshots/"].includes(e))
  );
}
