import { btui } from "../../command-hint";
import { isExistingEmptyDir } from "../../fsops/probe";
import { join } from "node:path";
import { planQuiesce, type ResumeReport } from "../../docker/lifecycle";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { discardStaging, isMountPoint, swapIn, SwapJournal } from "../../fsops/swap";
import { walk } from "../../fsops/tree";
import { pausePoint } from "../../state/pause-point";
import type { CatalogSnapshot } from "../../state/catalog";
import { ensureIndexed } from "../snapshots/catalog";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { checkManifest, type StackManifest } from "../snapshots/manifest";
import { endedWith } from "../run/after-run";
import { quiesced } from "../stacks/quiesce";
import { placementOf, stageCopies, stopNeed } from "./stage";
import { assertInPlaceScope } from "./scope";
import { assertTargetApart } from "./target";
import { assertRoomToStage } from "./room";
import { affectedContainers, scopeName, stopPlan, type RestoreScope } from "./stops";
import { SafetySnapshot, takeKeptSafety } from "./safety";
import {
  diffTree,
  isDumpsPath,
  isManifestPath,
  mapPaths,
  narrowToFile,
  type DiffSummary,
  type RestoreMapping,
} from "./plan";

export interface RestoreRequest extends RestoreScope {
  snapshot: CatalogSnapshot;
  /** One file or folder only (a snapshot path, or its live path). */
  file?: string;
  /** Restore under this directory instead: nothing live is touched (restore-target.ts). */
  target?: string;
  /** With target: the directory may hold files (never a live path, nothing in it leading out). */
  force?: boolean;
  /** In place: the host whose snapshots may be restored here (--host); default: this host. */
  host?: string;
  /** The disaster recovery: the old host's paths as its manifest names them (restore-scope.ts). */
  oldHostPaths?: boolean;
  dryRun?: boolean;
  signal: AbortSignal;
}

export interface RestoreReport {
  mode: "target" | "dry-run" | "in-place";
  snapshot: string;
  mappings: RestoreMapping[];
  diff?: Array<{ live: string } & DiffSummary>;
  safetySnapshot?: string;
  /** The replaced data, kept aside because its safety snapshot failed (`recover` takes it again). */
  keptAside?: string[];
  createdVolumes: string[];
  downtimeMs: number;
  /** Dry run in place: the running containers the restore stops, and why (or why nothing stops). */
  stops?: string[];
  stopReason?: string;
  notRestarted: ResumeReport["failed"];
  exitCode: number;
  runId?: number;
}

/** The manifest stored in a snapshot of ours; undefined for snapshots made by plain restic. */
export async function readManifest(
  ctx: ServiceContext,
  snap: CatalogSnapshot,
  signal?: AbortSignal,
): Promise<StackManifest | undefined> {
  const path = snap.paths.find(isManifestPath);
  if (!path) return undefined;
  let manifest: StackManifest;
  try {
    let text = ctx.store.catalog.manifest(snap.id, snap.original);
    if (text === undefined) {
      text = await ctx.restic.dump(snap.id, path, signal);
      JSON.parse(text);
      ctx.store.catalog.setManifest(snap.id, text);
    }
    manifest = JSON.parse(text) as StackManifest;
  } catch (err) {
    ctx.log.warn({ err: errorMessage(err) }, "cannot read the snapshot's manifest");
    return undefined;
  }
  // Unsafe paths in it refuse the restore: it must not go on as if the snapshot had no manifest.
  return checkManifest(manifest, snap);
}

/** What a restore will write, once every check passed: the snapshot's paths mapped to this host. */
export interface RestorePlan {
  manifest?: StackManifest;
  /** Volume name → its mountpoint here (volumes that exist). */
  mountpoints: Map<string, string>;
  mappings: RestoreMapping[];
  /** Each path's root (the volume, stack directory or path holding it). */
  rootOf: Map<RestoreMapping, string>;
  /** --target, absolute; undefined in place. */
  target?: string;
}

/**
 * Maps the snapshot to this host and makes every refusal the restore makes, before anything is
 * written or printed: under --target, that no live path is reached (restore-target.ts); in place,
 * that the snapshot is the stack's and this host's and writes only the stack's paths
 * (restore-scope.ts), and that no path is a mount point. The dry run, the confirmation's list of
 * live paths (CLI and TUI) and the run itself all start here.
 */
export async function planRestore(ctx: ServiceContext, req: RestoreRequest): Promise<RestorePlan> {
  const snap = req.snapshot;
  const manifest = await readManifest(ctx, snap, req.signal);
  const mountpoints = new Map<string, string>();
  for (const v of manifest?.volumes ?? []) {
    const here = await ctx.docker.inspectVolume(v.name);
    if (here) mountpoints.set(v.name, here.mountpoint);
  }
  let mappings = mapPaths(snap.paths, manifest, mountpoints);
  if (req.scope.kind === "volume") {
    const name = req.scope.volume;
    mappings = mappings.filter((m) => m.volume === name);
    if (!mappings.length)
      throw new AppError(
        `snapshot ${snap.shortId} holds no volume ${name}`,
        ExitCode.usage,
        `Pick a snapshot tagged vol:NAME: \`${btui("snapshots --tag vol:NAME")}\`.`,
      );
  }
  // Each path's root (the volume, stack directory or path holding it): an added file shows in a running service only inside one that exists.
  const rootOf = new Map<RestoreMapping, string>();
  if (req.file) {
    const one = narrowToFile(mappings, req.file);
    if (!one)
      throw new AppError(
        `${req.file} is not inside snapshot ${snap.shortId}`,
        ExitCode.usage,
        `Browse it with \`${btui(`ls ${snap.shortId}`)}\`.`,
      );
    const root = mappings.find((m) => one.live === m.live || one.live.startsWith(`${m.live}/`));
    mappings = [one];
    if (root) rootOf.set(one, root.live);
  }
  // The dumps are loaded into their databases with --dump (or fetched with --target); in place they would only land in the state dir.
  if (!req.file && !req.target) mappings = mappings.filter((m) => !isDumpsPath(m.source));

  if (req.target)
    return {
      manifest,
      mountpoints,
      mappings,
      rootOf,
      target: await assertTargetApart(ctx, req.target, mappings, { force: req.force }),
    };

  await assertInPlaceScope(ctx, req, snap, manifest, mappings);
  const mounted = mappings.filter((m) => isMountPoint(m.live));
  if (mounted.length) {
    throw new AppError(
      `${mounted.map((m) => m.live).join(", ")} ${mounted.length === 1 ? "is a mount point" : "are mount points"}: restoring in place would need to replace the mount`,
      ExitCode.usage,
      "Restore with --target DIR and copy the files into place, or restore a narrower --file.",
    );
  }
  return { manifest, mountpoints, mappings, rootOf };
}

/**
 * Restores a stack, a volume, or one file of either: under --target (touching nothing live),
 * as a dry run (what would change), or in place — stopping only what runs, taking a safety
 * snapshot of the current data, restoring into staging beside each path, swapping it in,
 * and starting again what was running.
 */
export async function restore(ctx: ServiceContext, req: RestoreRequest, emit: EventSink): Promise<RestoreReport> {
  const snap = req.snapshot;
  // Every refusal first, the dry run's as the run's: a plan that is printed is a plan that may run.
  const { manifest, mountpoints, mappings, rootOf, target } = await planRestore(ctx, req);
  const report: RestoreReport = {
    mode: "in-place",
    snapshot: snap.id,
    mappings,
    createdVolumes: [],
    downtimeMs: 0,
    notRestarted: [],
    exitCode: ExitCode.ok,
  };

  // The snapshot's listing: the room its copies need, what a dry run would change, what the copies are checked against.
  await ensureIndexed(ctx, snap, req.signal);
  const where = (m: RestoreMapping) => (target ? join(target, m.source) : m.live);
  assertRoomToStage(
    mappings.map((m) => ({ at: where(m), files: ctx.store.catalog.tree(snap.id, m.source) })),
    { target },
  );

  if (req.dryRun) {
    // Nothing is written: what the restore would change, live or under --target.
    report.mode = "dry-run";
    report.diff = [];
    for (const m of mappings)
      report.diff.push({
        live: where(m),
        ...diffTree({ ...m, live: where(m) }, ctx.store.catalog.tree(snap.id, m.source), await walk(where(m))),
      });
    if (!target)
      Object.assign(
        report,
        await stopPlan(
          ctx,
          req,
          manifest,
          mappings.map((m) => placementOf(m, rootOf.get(m) ?? m.live)),
        ),
      );
    return report;
  }

  if (target) {
    report.mode = "target";
    emit({ type: "phase", stack: scopeName(req), phase: "restoring", detail: `under ${target}` });
    await ctx.restic.restore({ snapshot: snap.id, target, include: mappings.map((m) => m.source), signal: req.signal });
    return report;
  }

  const runId = ctx.store.startRun("restore", "manual", ctx.owner, {
    stack: req.scope.kind === "stack" ? req.scope.stack : manifest?.stack,
  });
  report.runId = runId;
  const swaps = new SwapJournal(ctx.config.stateDir);
  const roots: string[] = [];
  let safety: SafetySnapshot | undefined;
  try {
    for (const m of mappings) {
      if (m.volume && !mountpoints.has(m.volume)) {
        const recorded = manifest?.volumes.find((v) => v.name === m.volume);
        const created = await ctx.docker.createVolume(m.volume, recorded?.labels ?? {});
        mountpoints.set(m.volume, created.mountpoint);
        report.createdVolumes.push(m.volume);
        // The snapshot path is under the old host's mountpoint: keep the part below it.
        m.live = created.mountpoint + m.source.slice((recorded?.mountpoint ?? m.source).length);
        rootOf.set(m, created.mountpoint);
      }
    }
    const placements = mappings.map((m) => placementOf(m, rootOf.get(m) ?? m.live));
    // 1. While the stack runs: the restored copies, written beside the live data, and at the same
    // time the safety snapshot's hot pass (a failure of either stops the other).
    // An empty directory (a volume just created) holds nothing to keep: no safety snapshot for it.
    const need = stopNeed(placements, !!req.file);
    const stopsNow = async () => {
      const affected = need.stop ? await affectedContainers(ctx, req, manifest, mappings) : undefined;
      const plan = affected ? planQuiesce(affected, "stop") : undefined;
      return affected && plan?.stopLevels.length ? { affected, plan } : undefined;
    };
    const stops = !!(await stopsNow());
    const failed = new AbortController();
    const signal = AbortSignal.any([req.signal, failed.signal]);
    const stackTag = req.scope.kind === "stack" ? req.scope.stack : manifest?.stack;
    safety = new SafetySnapshot(
      ctx,
      {
        paths: placements.filter((p) => !p.add && !isExistingEmptyDir(p.live)).map((p) => p.live),
        tags: [
          "backup-tui",
          ...(stackTag ? [`stack:${stackTag}`] : []),
          ...mappings.filter((m) => m.volume).map((m) => `vol:${m.volume}`),
        ],
        scope: scopeName(req),
        signal,
        parent: newestOf(ctx, stackTag ? `stack:${stackTag}` : mappings.find((m) => m.volume)?.volume),
      },
      emit,
    );
    let cause: unknown;
    const stopTheOther = <T>(p: Promise<T>) =>
      p.catch((err) => {
        cause ??= err;
        failed.abort();
        throw err;
      });
    const [staged, hot] = await Promise.allSettled([
      stopTheOther(stageCopies(ctx, snap, placements, runId, swaps, emit, { scope: scopeName(req), signal, roots })),
      stopTheOther(stops ? safety.hot() : Promise.resolve()),
    ]);
    if (staged.status === "rejected" || hot.status === "rejected") throw cause;
    const entries = staged.value;
    await pausePoint("restore-after-hot-pass");
    // 2. Stopped (unless only new files are added): the safety snapshot's final pass, reading only
    // what changed since the hot pass, then the swaps.
    const work = async () => {
      await pausePoint("restore-stopped");
      report.safetySnapshot = await safety?.final();
      // From here a crash is finished by `recover`: every copy is complete and the old data is kept
      // (in the safety snapshot, or aside until it is taken after the start).
      for (const e of entries)
        swaps.write(Object.assign(e, { state: "ready" as const, keepOld: safety?.keepOld(e.live) }));
      await pausePoint("restore-before-swap");
      for (const [i, e] of entries.entries()) {
        if (i) await pausePoint("restore-mid-swap");
        emit({ type: "phase", stack: scopeName(req), phase: "restoring", detail: `swapping in ${e.live}` });
        await swapIn(e, swaps);
      }
    };
    // What runs now (not before the staging, which may have taken minutes) is what stops.
    const stopping = await stopsNow();
    if (stopping) {
      const { affected, plan } = stopping;
      const r = await quiesced(ctx, affected, plan, `restore-${runId}`, emit, work, { signal: req.signal });
      report.downtimeMs = r.downtimeMs;
      report.notRestarted = r.report.failed;
      if (r.error) throw r.error;
    } else {
      await work();
    }
    report.exitCode = report.notRestarted.length ? ExitCode.serviceDown : ExitCode.ok;
    const kept = entries.filter((e) => e.state === "swapped");
    if (kept.length) {
      // The stack runs again: the safety snapshot's final pass, from the data kept aside.
      await pausePoint("restore-before-kept-safety");
      emit({
        type: "phase",
        stack: scopeName(req),
        phase: "safety-snapshot",
        detail: "final pass from the replaced data, kept aside while the stack runs",
      });
      try {
        report.safetySnapshot = await takeKeptSafety(ctx, kept, swaps, req.signal);
      } catch (err) {
        report.keptAside = kept.map((e) => e.old);
        report.exitCode = report.exitCode || ExitCode.partial;
        emit({
          type: "warning",
          stack: scopeName(req),
          message: `the data restored over is kept at ${report.keptAside.join(", ")}: its safety snapshot failed (${errorMessage(err)}); \`${btui("recover")}\` takes it again`,
        });
      }
    }
    const status = report.notRestarted.length ? "failed" : report.keptAside ? "partial" : "succeeded";
    ctx.store.finishRun(runId, status, report.exitCode, undefined, report);
    return report;
  } catch (err) {
    const ended = endedWith(req.signal, report.notRestarted.length ? ExitCode.serviceDown : ExitCode.failed);
    ctx.store.finishRun(runId, ended.status, ended.exitCode, errorMessage(err), report);
    const hint = report.safetySnapshot
      ? `The data as it was before is in safety snapshot ${report.safetySnapshot.slice(0, 8)} (kind:pre-restore).`
      : undefined;
    throw Object.assign(new AppError(`restore ${ended.status}: ${errorMessage(err)}`, ended.exitCode, hint), {
      cause: err,
    });
  } finally {
    await safety?.cleanup();
    // What is left of this run is discarded: demoted first, so a crash during the (long) deletes
    // never lets recover take a half-deleted copy for a ready one.
    // A swapped entry keeps the replaced data for its safety snapshot: it stays for `recover`.
    const mine = swaps
      .list()
      .filter((e) => e.owner.pid === ctx.owner.pid && roots.includes(e.stagingRoot) && e.state !== "swapped");
    for (const e of mine) swaps.write({ ...e, state: "writing" });
    for (const root of roots) await discardStaging(root);
    for (const e of mine) swaps.remove(e.id);
  }
}

/** What a restore would do, for a confirmation screen: the dry run's changes, and the running containers it would stop (and why). */
export async function previewRestore(
  ctx: ServiceContext,
  req: RestoreRequest,
): Promise<RestoreReport & { stops: string[] }> {
  const report = await restore(ctx, { ...req, dryRun: true }, () => undefined);
  return { ...report, stops: report.stops ?? [] };
}

/** This host's newest snapshot (not a hot pass) with this tag: "stack:web", or a volume's name. */
function newestOf(ctx: ServiceContext, tagOrVolume: string | undefined): string | undefined {
  if (!tagOrVolume) return undefined;
  const tag = tagOrVolume.startsWith("stack:") ? tagOrVolume : `vol:${tagOrVolume}`;
  return ctx.store.catalog.list({ host: ctx.config.hostname, tag, limit: 1 })[0]?.id;
}
