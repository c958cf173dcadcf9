import { format } from "../../format";
import { join } from "node:path";
import { dumpSpecs, runDumps } from "../dumps/dump";
import type { Strategy } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { plannedActions, planQuiesce } from "../../docker/lifecycle";
import { stackStrategy } from "../../docker/labels";
import { namespaceLauncher, privateMountsAllowed, type SnapshotPlan } from "../../fssnap/plan";
import { AppError, errorMessage, ToolError } from "../../errors";
import { parentGone } from "../../restic/errors";
import type { Snapshot } from "../../restic/json";
import type { BackupResult } from "../../restic/restic";
import { clearStaging, stagingDir, writeStagedJson } from "../../state/staging";
import type { ServiceContext } from "../run/context";
import { HOT_PASS_MIN, worthAHotPass } from "../run/hot-pass";
import type { EventSink, StackOutcome } from "../run/events";
import {
  checkSnapshotSpace,
  decideSnapshot,
  dropSnapshots,
  freezeAndSnapshot,
  snapshotPaths,
  stoppedVolumeBinds,
} from "./fs-snapshot";
import { buildManifest } from "../snapshots/manifest";
import { quiesced, quiescedAs } from "../stacks/quiesce";
import { untilNoExclusiveLock } from "../fleet/lock-wait";
import { stackPaths } from "../stacks/paths";

export interface StackJob {
  stack: Stack;
  runId: number;
  trigger: "manual" | "scheduled";
  strategy: Strategy;
  twoPass: boolean;
  /** The latest kind:stack snapshot of this stack and host: always passed explicitly. */
  parent?: string;
  signal: AbortSignal;
  toolVersions: Record<string, string>;
  /** "volume": one named volume only (stack.volumes[0]); no hooks, no directory. */
  kind?: "stack" | "volume";
  /** The stack a volume belongs to, for its tag. */
  owner?: string;
}

export interface StackRun {
  outcome: StackOutcome;
  /** The final snapshot as the catalog records it (so the next run needs no `restic snapshots`). */
  snapshot?: Snapshot;
  /** The hot pass's snapshot, forgotten in one batch at the end of the run. */
  hotSnapshot?: string;
}

/**
 * Backs one stack up into ONE snapshot. Two-pass when it must stop: a hot pass while it runs,
 * then stop, a final pass against the hot snapshot, start. Whatever happens, what was
 * stopped is started again before this returns. The snapshot strategy: freeze, btrfs snapshots,
 * thaw at once, then one pass from the snapshots (same paths) while the stack runs.
 */
export async function backupStack(ctx: ServiceContext, job: StackJob, emit: EventSink): Promise<StackRun> {
  const { stack } = job;
  const started = Date.now();
  const kind = job.kind ?? "stack";
  const settings = kind === "stack" ? ctx.config.stacks[stack.name] : undefined;
  const sp =
    kind === "stack"
      ? stackPaths(stack, ctx.config)
      : { paths: stack.volumes.map((v) => v.mountpoint), excludes: [], skippedBinds: [], missing: [] };
  const outcome: StackOutcome = { stack: stack.name, status: "failed", durationMs: 0, downtimeMs: 0 };
  let strategy = stackStrategy(stack.containers, job.strategy);
  let snapPlan: SnapshotPlan | undefined;
  if (strategy === "snapshot") {
    const d = await decideSnapshot(ctx, snapshotPaths(stack, sp.paths), `${job.runId}-${stack.name}`, job.signal);
    for (const n of d.notes) emit({ type: "info", stack: stack.name, message: n });
    outcome.notes = [...d.notes];
    if (d.use) snapPlan = d.plan;
    else {
      strategy = d.fallback;
      outcome.notes.push(d.note);
      emit({ type: "warning", stack: stack.name, message: d.note });
    }
  }
  const plan = planQuiesce(stack, strategy, ctx.config.docker.snapshotFreeze ?? "pause");
  const actions = plannedActions(plan);
  const mustQuiesce = actions.length > 0 || plan.downServices.length > 0;
  // A snapshot is consistent: no hot pass. Nor for a stack so small that the stop reads it in milliseconds.
  const hotPassWanted = job.twoPass && mustQuiesce && !snapPlan;
  const min = ctx.hotPassMin ?? HOT_PASS_MIN;
  const twoPass = hotPassWanted && worthAHotPass(sp.paths, min);
  if (hotPassWanted && !twoPass)
    emit({
      type: "info",
      stack: stack.name,
      message: `single pass: under ${format.bytes(min.bytes)} and ${min.entries} files, read in the stop faster than a hot pass would save`,
    });
  for (const n of plan.notes) emit({ type: "warning", stack: stack.name, message: n });
  emit({ type: "stack-start", stack: stack.name, strategy: plan.strategy, twoPass });

  for (const b of sp.skippedBinds)
    emit({
      type: "warning",
      stack: stack.name,
      message: `bind mount ${b} lies outside the stack directory and is not backed up (set BACKUP_BIND_MOUNTS=true)`,
    });
  for (const m of sp.missing) emit({ type: "warning", stack: stack.name, message: `${m} does not exist; skipped` });
  const staging = stagingDir(ctx.config.stateDir, stack.name);
  let manifest: object = buildManifest(stack, sp, plan.strategy, ctx.config.hostname, job.toolVersions);
  const manifestPath = writeStagedJson(staging, "manifest.json", manifest);
  const paths = [...sp.paths, manifestPath];
  const stackTag = kind === "stack" ? stack.name : job.owner;
  const tags = (k: string) => [
    "backup-tui",
    ...(stackTag ? [`stack:${stackTag}`] : []),
    ...stack.volumes.map((v) => `vol:${v.name}`),
    `kind:${k}`,
    `trigger:${job.trigger}`,
  ];
  let finalStartedAt = "";
  let launcher: string[] | undefined;
  const backup = async (k: string, pass: "hot" | "final" | "single", parent?: string): Promise<BackupResult> => {
    if (pass !== "hot") finalStartedAt = new Date().toISOString();
    try {
      return await backupOnce(k, pass, parent);
    } catch (err) {
      // The catalog's parent may have been forgotten by hand, or the repository re-created:
      // let restic pick a parent, and have the next run re-read the catalog.
      if (!parent || !parentGone(err)) throw err;
      emit({
        type: "warning",
        stack: stack.name,
        message: `parent snapshot ${parent.slice(0, 8)} is gone; restic chooses one by path`,
      });
      ctx.store.catalog.invalidate();
      return backupOnce(k, pass, undefined);
    }
  };
  const backupOnce = (kind: string, pass: "hot" | "final" | "single", parent?: string) =>
    ctx.restic.backup({
      paths,
      host: ctx.config.hostname,
      tags: tags(kind),
      parent,
      excludes: sp.excludes,
      compression: ctx.config.restic.compression,
      launcher,
      timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
      signal: job.signal,
      onProgress: (progress) => emit({ type: "progress", stack: stack.name, pass, progress }),
    });

  let hot: BackupResult | undefined;
  let result: BackupResult | undefined;
  try {
    if (settings?.preHook) {
      emit({ type: "phase", stack: stack.name, phase: "pre-hook" });
      await runHook(ctx, stack, settings.preHook, "pre", settings.hookTimeoutSec, job.signal);
    }
    const dumps = kind === "stack" ? dumpSpecs(stack, ctx.config.stacks[stack.name]?.dumps) : [];
    if (dumps.length) {
      emit({
        type: "phase",
        stack: stack.name,
        phase: "dump",
        detail: dumps.map((d) => `${d.engine}:${d.service}`).join(", "),
      });
      const records = await runDumps(ctx, dumps, join(staging, "dumps"), job.signal);
      manifest = { ...manifest, dumps: records };
      writeStagedJson(staging, "manifest.json", manifest);
      paths.push(join(staging, "dumps"));
    }
    if (snapPlan) {
      checkSnapshotSpace(ctx.config, snapPlan);
      const f = await freezeAndSnapshot(ctx, stack, plan, snapPlan, job.runId, emit, job.signal);
      outcome.downtimeMs = f.downtimeMs;
      if (f.report.failed.length) outcome.notRestarted = f.report.failed;
      try {
        if (f.error) throw f.error;
        emit({
          type: "phase",
          stack: stack.name,
          phase: "backup",
          detail: `from ${snapPlan.snapshots.length} btrfs snapshot(s) while the stack runs`,
        });
        launcher = namespaceLauncher(snapPlan.binds);
        result = await backup(kind, "single", job.parent);
      } finally {
        emit({ type: "phase", stack: stack.name, phase: "cleanup", detail: "deleting the btrfs snapshot(s)" });
        const keep = f.entry.containers.filter((c) => f.report.failed.some((x) => x.name === c.name));
        for (const p of await dropSnapshots(ctx, f.entry, { keepContainers: keep }))
          emit({ type: "warning", stack: stack.name, message: p });
      }
    } else {
      if (plan.stopLevels.length || plan.downServices.length) launcher = bindVolumesWhileStopped(stack, emit);
      if (twoPass) {
        emit({ type: "phase", stack: stack.name, phase: "hot-pass" });
        hot = await backup("hot", "hot", job.parent);
      }
      if (mustQuiesce) {
        await untilNoExclusiveLock(ctx, stack.name, emit, job.signal);
        const r = await quiesced(
          ctx,
          stack,
          plan,
          job.runId,
          emit,
          async () => {
            emit({
              type: "phase",
              stack: stack.name,
              phase: twoPass ? "final-pass" : "backup",
              detail: `stack ${quiescedAs(plan)}`,
            });
            result = await backup(kind, twoPass ? "final" : "single", hot?.snapshotId ?? job.parent);
          },
          { signal: job.signal },
        );
        outcome.downtimeMs = r.downtimeMs;
        if (r.killed.length) outcome.notes = [...(outcome.notes ?? []), ...r.killed];
        if (r.report.failed.length) outcome.notRestarted = r.report.failed;
        if (r.error) throw r.error;
      } else {
        emit({ type: "phase", stack: stack.name, phase: "backup" });
        result = await backup(kind, "single", job.parent);
      }
    }
  } catch (err) {
    outcome.error = errorMessage(err) + (err instanceof AppError && err.hint ? `\nhint: ${err.hint}` : "");
    // restic's own words, when the message does not carry them already (restic.ts makes its JSON errors readable).
    if (
      err instanceof ToolError &&
      err.stderrTail &&
      !/\(exit \d+\): /.test(outcome.error) &&
      !outcome.error.includes(err.stderrTail)
    )
      outcome.error += `\n${err.stderrTail}`;
  } finally {
    if (settings?.postHook) {
      emit({ type: "phase", stack: stack.name, phase: "post-hook" });
      await runHook(ctx, stack, settings.postHook, "post", settings.hookTimeoutSec).catch((err) => {
        emit({ type: "warning", stack: stack.name, message: `post-hook failed: ${errorMessage(err)}` });
      });
    }
    // The manifest as the snapshot holds it: a restore then reads it from the catalog, not with `restic dump`.
    if (result)
      try {
        ctx.store.catalog.setManifest(result.snapshotId, JSON.stringify(manifest));
      } catch (err) {
        ctx.log.warn({ err: errorMessage(err) }, "could not keep the snapshot's manifest in the catalog");
      }
    await clearStaging(staging);
  }

  if (result) {
    outcome.snapshotId = result.snapshotId;
    outcome.bytesAdded = result.summary.data_added + (hot?.summary.data_added ?? 0);
    outcome.filesNew = result.summary.files_new;
    outcome.filesChanged = result.summary.files_changed;
    outcome.unreadable = [
      ...new Set([...(hot?.unreadable ?? []), ...result.unreadable].map((u) => `${u.item}: ${u.message}`)),
    ];
    outcome.status = result.partial || hot?.partial ? "partial" : "succeeded";
  }
  // Stopped by a signal before it finished: not a failure of the stack (nor a success).
  if (!result && job.signal.aborted) outcome.status = "interrupted";
  if (outcome.notRestarted?.length) {
    outcome.status = "failed";
    const names = outcome.notRestarted.map((f) => `${f.name} (${f.reason})`).join(", ");
    outcome.error = [outcome.error, `not running again after the backup: ${names}`].filter(Boolean).join("\n");
  }
  outcome.durationMs = Date.now() - started;
  const snapshot: Snapshot | undefined = result && {
    id: result.snapshotId,
    short_id: result.snapshotId.slice(0, 8),
    time: finalStartedAt,
    tree: "",
    paths,
    hostname: ctx.config.hostname,
    tags: tags(kind),
    summary: { data_added: outcome.bytesAdded, total_bytes_processed: result.summary.total_bytes_processed },
  };
  return { outcome, hotSnapshot: hot?.snapshotId, snapshot };
}

/**
 * Docker unmounts a bind-driver volume (`o=bind,device=DIR`) when its last container stops: the
 * backup then reads DIR bound over the Mountpoint in a private mount namespace, under the same path.
 */
function bindVolumesWhileStopped(stack: Stack, emit: EventSink): string[] | undefined {
  const { binds, unreachable } = stoppedVolumeBinds(stack);
  for (const name of unreachable) {
    emit({
      type: "warning",
      stack: stack.name,
      message: `volume ${name} is a separate mount that Docker removes while its containers are stopped: it may be backed up empty (use STOP_STRATEGY=pause, or keep a container with backup-tui.stop=false on it)`,
    });
  }
  if (!binds.length) return undefined;
  if (!privateMountsAllowed()) {
    emit({
      type: "warning",
      stack: stack.name,
      message: `volume(s) ${binds.map((b) => b.original).join(", ")} are bind mounts Docker removes while their containers are stopped, and re-binding them needs root: they may be backed up empty`,
    });
    return undefined;
  }
  emit({
    type: "info",
    stack: stack.name,
    message: `read through their bind source while stopped: ${binds.map((b) => `${b.original} ← ${b.copy}`).join(", ")}`,
  });
  return namespaceLauncher(binds);
}

async function runHook(
  ctx: ServiceContext,
  stack: Stack,
  command: string,
  which: "pre" | "post",
  timeoutSec: number,
  signal?: AbortSignal,
): Promise<void> {
  const r = await ctx.runner
    .run("sh", ["-c", command], {
      cwd: stack.dir,
      timeoutMs: timeoutSec * 1000,
      signal,
      env: { BACKUP_TUI_STACK: stack.name, BACKUP_TUI_HOOK: which },
    })
    .catch((err) => {
      throw new Error(`${which}-hook failed: ${errorMessage(err)}`);
    });
  ctx.log.info({ stack: stack.name, hook: which, out: r.stdout.slice(-2000) }, "hook done");
}
