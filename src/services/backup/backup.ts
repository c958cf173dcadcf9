import type { Strategy } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { ExitCode, abortExitCode, errorMessage } from "../../errors";
import type { Snapshot } from "../../restic/json";
import { backupStack, type StackRun } from "./stack";
import type { ServiceContext } from "../run/context";
import type { EventSink, StackOutcome } from "../run/events";
import { refreshCatalog } from "../snapshots/catalog";
import { applyRetention } from "../retention/retention";
import { verifyRepository } from "../verify/verify";
import { leftToPruneHost, takesExclusiveLock } from "../fleet/shared";
import { forgetHotSnapshots } from "../run/hot-pass";

export interface BackupRequest {
  stacks: Stack[];
  /** A single-volume backup: stacks holds one pseudo-stack with that volume and the containers mounting it. */
  volume?: { name: string; owner?: string };
  trigger: "manual" | "scheduled";
  strategy?: Strategy;
  twoPass?: boolean;
  parallel: number;
  signal: AbortSignal;
}

export interface BackupReport {
  runId: number;
  outcomes: StackOutcome[];
  status: "succeeded" | "partial" | "failed" | "interrupted";
  exitCode: number;
  retention?: Array<{ stack: string; removed: number }>;
  verification?: { ok: boolean; level: string; detail?: string };
  warnings: string[];
  /** An error that stopped the whole run (not one stack): the caller reports it. */
  fatal?: unknown;
}

/**
 * The catalog's snapshots of one kind, in restic's shape: for stacks, only each stack's newest
 * (SQLite picks them: a catalog of 100,000 snapshots is never read whole for the parents).
 */
function catalogAsSnapshots(ctx: ServiceContext, kind: "stack" | "volume"): Snapshot[] {
  const newest = kind === "stack" ? 1 : undefined;
  return ctx.store.catalog
    .list({ host: ctx.config.hostname, tag: `kind:${kind}`, latestPerStack: newest })
    .map((c) => ({
      id: c.id,
      short_id: c.shortId,
      time: c.time,
      tree: "",
      paths: c.paths,
      hostname: c.host,
      tags: c.tags,
    }));
}

/** The newest kind:stack snapshot per stack for this host: the explicit parents. */
export function latestByStack(snapshots: Snapshot[], host: string): Map<string, Snapshot> {
  return latestBy(snapshots, host, "kind:stack", "stack:");
}

/** The newest snapshot of `kind` per value of the tag with `prefix`, for this host. */
export function latestBy(snapshots: Snapshot[], host: string, kind: string, prefix: string): Map<string, Snapshot> {
  const out = new Map<string, Snapshot>();
  for (const s of snapshots) {
    if (s.hostname !== host || !s.tags.includes(kind)) continue;
    const key = s.tags.find((t) => t.startsWith(prefix))?.slice(prefix.length);
    if (!key) continue;
    const cur = out.get(key);
    if (!cur || Date.parse(s.time) > Date.parse(cur.time)) out.set(key, s);
  }
  return out;
}

/**
 * Stage 1: backs up the given stacks (the caller holds the repository lock and has run
 * recovery). Stacks run one after another, or N at a time with parallel > 1.
 */
export async function runBackup(ctx: ServiceContext, req: BackupRequest, emit: EventSink): Promise<BackupReport> {
  const runId = ctx.store.startRun("backup", req.trigger, ctx.owner);
  emit({ type: "run-start", runId, kind: "backup", stacks: req.stacks.map((s) => s.name) });
  const warnings: string[] = [];
  const hot: string[] = [];
  const outcomes: StackOutcome[] = [];
  let report: BackupReport | undefined;
  try {
    const [features, dockerVersion, composeVersion] = await Promise.all([
      ctx.restic.features(),
      ctx.docker
        .version()
        .then((v) => v.version)
        .catch(() => "unknown"),
      ctx.compose.version().catch(() => "unknown"),
    ]);
    const tools = {
      "backup-tui": ctx.version,
      restic: features.version,
      docker: dockerVersion,
      compose: composeVersion,
    };
    // Parents from the catalog (kept current by our own runs): saves a repository open (~0.7 s).
    if (!ctx.store.catalog.refreshedAt()) await refreshCatalog(ctx, req.signal);
    const all = catalogAsSnapshots(ctx, req.volume ? "volume" : "stack");
    const parents = req.volume
      ? latestBy(all, ctx.config.hostname, "kind:volume", "vol:")
      : latestByStack(all, ctx.config.hostname);

    const queue = [...req.stacks];
    const worker = async () => {
      for (let stack = queue.shift(); stack; stack = queue.shift()) {
        if (req.signal.aborted) break;
        const settings = ctx.config.stacks[stack.name];
        const run: StackRun = await backupStack(
          ctx,
          {
            stack,
            runId,
            trigger: req.trigger,
            strategy: req.strategy ?? settings?.strategy ?? ctx.config.docker.strategy,
            twoPass: req.twoPass ?? settings?.twoPass ?? ctx.config.docker.twoPass,
            parent: parents.get(req.volume?.name ?? stack.name)?.id,
            signal: req.signal,
            toolVersions: tools,
            kind: req.volume ? "volume" : "stack",
            owner: req.volume?.owner,
          },
          emit,
        );
        if (run.hotSnapshot) hot.push(run.hotSnapshot);
        if (run.snapshot) ctx.store.catalog.add([run.snapshot]);
        outcomes.push(run.outcome);
        ctx.store.recordStack({
          runId,
          startedAt: new Date(Date.now() - run.outcome.durationMs).toISOString(),
          ...run.outcome,
        });
        emit({ type: "stack-done", outcome: run.outcome });
      }
    };
    // allSettled: one worker failing must not end the run while another has its stack stopped.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.max(1, Math.min(req.parallel, req.stacks.length)) }, worker),
    );
    const broken = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (broken) throw broken.reason;

    if (hot.length) {
      emit({ type: "phase", stack: "*", phase: "cleanup", detail: `forgetting ${hot.length} hot snapshot(s)` });
      await forgetHotSnapshots(ctx, hot).catch((err) =>
        warnings.push(`could not forget hot snapshots ${hot.join(" ")}: ${errorMessage(err)}`),
      );
    }
    report = { runId, outcomes, status: "succeeded", exitCode: ExitCode.ok, warnings };
    const good = outcomes.filter((o) => o.status === "succeeded" || o.status === "partial").map((o) => o.stack);
    const exclusive = takesExclusiveLock(ctx.config);
    if (!req.signal.aborted && ctx.config.retention.autoPrune && good.length && !exclusive)
      ctx.log.info(leftToPruneHost(ctx.config, "AUTO_PRUNE"));
    else if (!req.signal.aborted && ctx.config.retention.autoPrune && good.length) {
      emit({ type: "phase", stack: "*", phase: "retention" });
      try {
        const r = await applyRetention(ctx, good, { signal: req.signal, volume: req.volume?.name });
        report.retention = r.map((x) => ({ stack: x.stack, removed: x.removed.length }));
      } catch (err) {
        warnings.push(`retention failed: ${errorMessage(err)}`);
      }
    }
    // The files level checks what this run wrote: its stacks' new snapshots (a volume run: metadata).
    const depth = req.volume && ctx.config.verification.depth === "files" ? "metadata" : ctx.config.verification.depth;
    const verifies = ctx.config.verification.enabled && good.length > 0;
    if (verifies && !exclusive && depth !== "files")
      ctx.log.info(leftToPruneHost(ctx.config, `verification (${depth}: restic check)`));
    if (!req.signal.aborted && verifies && (exclusive || depth === "files")) {
      emit({ type: "phase", stack: "*", phase: "verify", detail: depth });
      report.verification = await verifyRepository(ctx, depth, req.signal, { stacks: good, emit }).catch((err) => {
        if (req.signal.aborted) throw err;
        return { ok: false, level: depth, detail: errorMessage(err) };
      });
    }
    // Retention removed snapshots the catalog still lists: re-read it (prune made this run long anyway).
    if (!req.signal.aborted && report.retention)
      await refreshCatalog(ctx).catch((err) =>
        warnings.push(`could not refresh the snapshot catalog: ${errorMessage(err)}`),
      );
  } catch (err) {
    report = { runId, outcomes, status: "failed", exitCode: ExitCode.failed, warnings, fatal: err };
  } finally {
    if (report) finish(ctx, report, req);
  }
  return report;
}

function finish(ctx: ServiceContext, report: BackupReport, req: BackupRequest): void {
  const o = report.outcomes;
  const down = o.some((x) => x.notRestarted?.length);
  const failed =
    o.some((x) => x.status === "failed") || report.status === "failed" || report.verification?.ok === false;
  // Partial: a stack backed up with unreadable files, or the run's own cleanup (hot snapshots,
  // retention, catalog) failed. Exit 3 either way, so a scheduler or healthcheck sees it.
  const partial = o.some((x) => x.status === "partial") || report.warnings.length > 0;
  report.status = req.signal.aborted ? "interrupted" : failed ? "failed" : partial ? "partial" : "succeeded";
  report.exitCode = down
    ? ExitCode.serviceDown
    : report.status === "interrupted"
      ? abortExitCode(req.signal)
      : report.status === "failed"
        ? ExitCode.failed
        : report.status === "partial"
          ? ExitCode.partial
          : ExitCode.ok;
  const fatal = report.fatal === undefined ? [] : [errorMessage(report.fatal)];
  const error =
    o
      .filter((x) => x.error)
      .map((x) => `${x.stack}: ${x.error}`)
      .concat(fatal, report.warnings)
      .join("\n") || undefined;
  ctx.store.finishRun(report.runId, report.status, report.exitCode, error, {
    outcomes: o,
    retention: report.retention,
    verification: report.verification,
  });
}
