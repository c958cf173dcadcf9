import { ExitCode, abortExitCode, errorMessage } from "../../errors";
import type { RunNotice } from "../../notify/message";
import { notifyRun, notifyStart } from "../../notify/notify";
import { writeTextfile, type Metric } from "../../notify/textfile";
import { localRepoBytes } from "../../fsops/repo-files";
import type { RunKind, RunStatus } from "../../state/store";
import { freeSpace, isLocalRepository } from "../retention/space-budget";
import type { ServiceContext } from "./context";
import { publishStatus } from "../fleet/publish";
import { notifyFleet } from "../fleet/watch";

/** The metrics node_exporter's textfile collector reads, from the state store. */
export function collectMetrics(ctx: ServiceContext): Metric[] {
  const stacks = [...ctx.store.lastBackups()];
  const seconds = (iso?: string) => (iso ? Date.parse(iso) / 1000 : 0);
  const kinds: RunKind[] = ["backup", "sync", "restore", "verify", "prune"];
  const lastRuns = kinds.map((k) => [k, ctx.store.recentRuns(1, k)[0]] as const).filter(([, r]) => r);
  return [
    {
      name: "backup_tui_stack_last_success_timestamp_seconds",
      help: "When the stack's last good backup started.",
      type: "gauge",
      samples: stacks
        .filter(([, v]) => v.lastGood)
        .map(([stack, v]) => ({ labels: { stack }, value: seconds(v.lastGood!.startedAt) })),
    },
    {
      name: "backup_tui_stack_last_duration_seconds",
      help: "Duration of the stack's last backup.",
      type: "gauge",
      samples: stacks.map(([stack, v]) => ({ labels: { stack }, value: v.last.durationMs / 1000 })),
    },
    {
      name: "backup_tui_stack_last_downtime_seconds",
      help: "How long the stack was stopped in its last backup.",
      type: "gauge",
      samples: stacks.map(([stack, v]) => ({ labels: { stack }, value: v.last.downtimeMs / 1000 })),
    },
    {
      name: "backup_tui_stack_last_bytes_added",
      help: "Bytes the stack's last backup added to the repository.",
      type: "gauge",
      samples: stacks.map(([stack, v]) => ({ labels: { stack }, value: v.last.bytesAdded ?? 0 })),
    },
    {
      name: "backup_tui_stack_last_success",
      help: "1 when the stack's last backup succeeded (or partly), else 0.",
      type: "gauge",
      samples: stacks.map(([stack, v]) => ({
        labels: { stack },
        value: v.last.status === "succeeded" || v.last.status === "partial" ? 1 : 0,
      })),
    },
    {
      name: "backup_tui_last_run_success",
      help: "1 when the last run of this kind succeeded.",
      type: "gauge",
      samples: lastRuns.map(([kind, r]) => ({
        labels: { kind },
        value: r!.status === "succeeded" || r!.status === "partial" ? 1 : 0,
      })),
    },
    {
      name: "backup_tui_last_run_timestamp_seconds",
      help: "When the last run of this kind started.",
      type: "gauge",
      samples: lastRuns.map(([kind, r]) => ({ labels: { kind }, value: seconds(r!.startedAt) })),
    },
    ...targetMetrics(ctx, seconds),
    {
      name: "backup_tui_snapshots",
      help: "Snapshots in the repository (catalog).",
      type: "gauge",
      samples: [{ value: ctx.store.catalog.count() }],
    },
    ...repositoryMetrics(ctx),
  ];
}

/** Per sync target: its last sync's result and start (a run records its target as its subject). */
function targetMetrics(ctx: ServiceContext, seconds: (iso?: string) => number): Metric[] {
  const last = ctx.config.targets
    .map((t) => [t.name, ctx.store.runs({ kind: "sync", stack: t.name, limit: 1 })[0]] as const)
    .filter(([, r]) => r && r.status !== "running");
  if (!last.length) return [];
  return [
    {
      name: "backup_tui_sync_target_last_success",
      help: "1 when the last sync to this target succeeded (0: failed, refused or tamper alarm).",
      type: "gauge",
      samples: last.map(([target, r]) => ({ labels: { target }, value: r!.status === "succeeded" ? 1 : 0 })),
    },
    {
      name: "backup_tui_sync_target_last_timestamp_seconds",
      help: "When the last sync to this target started.",
      type: "gauge",
      samples: last.map(([target, r]) => ({ labels: { target }, value: seconds(r!.startedAt) })),
    },
  ];
}

/** A local repository's size on disk and its filesystem's free share (remote ones: none). */
function repositoryMetrics(ctx: ServiceContext): Metric[] {
  const repo = ctx.config.restic.repository;
  if (!isLocalRepository(repo)) return [];
  try {
    const bytes = localRepoBytes(repo.replace(/^local:/i, ""));
    if (bytes === undefined) return [];
    return [
      {
        name: "backup_tui_repository_bytes",
        help: "Bytes the local repository takes on disk.",
        type: "gauge",
        samples: [{ value: bytes }],
      },
      {
        name: "backup_tui_repository_fs_free_ratio",
        help: "Free share (0-1) of the filesystem holding the local repository.",
        type: "gauge",
        samples: [{ value: freeSpace(repo).percent / 100 }],
      },
    ];
  } catch {
    return [];
  }
}

/** Metrics, this host's published status (PUBLISH_STATUS) and notifications after a run: failures are logged, never raised. */
export async function afterRun(ctx: ServiceContext, notice: RunNotice, o: { baseMs?: number } = {}): Promise<void> {
  const file = ctx.config.notify.prometheusTextfile;
  if (file) {
    try {
      writeTextfile(file, collectMetrics(ctx));
    } catch (err) {
      ctx.log.warn({ file, err: errorMessage(err) }, "could not write the Prometheus textfile");
    }
  }
  if (await publishStatus(ctx)) await notifyFleet(ctx);
  const sent = await notifyRun(ctx.config, ctx.log, notice, o);
  for (const s of sent) ctx.log.info({ to: s.what, delivered: s.delivered }, "notification");
}

export async function beforeRun(ctx: ServiceContext, o: { baseMs?: number } = {}): Promise<void> {
  await notifyStart(ctx.config, ctx.log, o);
}

/** Closes a recorded run (sync, verify, prune) in the state store, then notifies and writes metrics (never throws). */
export async function closeRun(
  ctx: ServiceContext,
  r: {
    kind: RunKind;
    runId: number;
    startedAt: string;
    status: Exclude<RunStatus, "running" | "skipped">;
    exitCode: number;
    error?: string;
    summary?: unknown;
    lines: string[];
  },
): Promise<void> {
  ctx.store.finishRun(r.runId, r.status, r.exitCode, r.error, r.summary);
  await afterRun(ctx, {
    kind: r.kind,
    runId: r.runId,
    status: r.status,
    host: ctx.config.hostname,
    exitCode: r.exitCode,
    lines: r.lines,
    error: r.error,
    startedAt: r.startedAt,
    finishedAt: new Date().toISOString(),
  });
}

/**
 * How a run that ended in an error is recorded (and exits): "interrupted" with its signal's exit
 * code (130/143/129) once its abort signal fired, else "failed" with `exitCode`. A container left
 * stopped (exit 4) outranks both: it is what needs the user first.
 */
export function endedWith(
  signal: AbortSignal | undefined,
  exitCode: number = ExitCode.failed,
): { status: "interrupted" | "failed"; exitCode: number } {
  const aborted = !!signal?.aborted;
  return {
    status: aborted ? "interrupted" : "failed",
    exitCode: exitCode === ExitCode.serviceDown || !aborted ? exitCode : abortExitCode(signal!),
  };
}
