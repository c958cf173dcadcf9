import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ContainerInfo } from "../docker/client";
import { discoverStacks, stackState, type Stack } from "../docker/discovery";
import { planQuiesce, type ResumeReport } from "../docker/lifecycle";
import { AppError, ExitCode, errorMessage } from "../errors";
import { discardStaging, isMountPoint, stagingRootFor, swapIn, SwapJournal } from "../fsops/swap";
import { walk } from "../fsops/tree";
import type { CatalogSnapshot } from "../state/catalog";
import { ensureIndexed } from "./catalog";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import type { StackManifest } from "./manifest";
import { quiesced } from "./quiesced";
import { assertInPlaceScope } from "./restore-scope";
import { assertTargetApart } from "./restore-target";
import { diffTree, isDumpsPath, isManifestPath, mapPaths, narrowToFile, type DiffSummary, type RestoreMapping } from "./restore-plan";

export interface RestoreRequest {
  scope: { kind: "stack"; stack: string } | { kind: "volume"; volume: string };
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
  createdVolumes: string[];
  downtimeMs: number;
  notRestarted: ResumeReport["failed"];
  exitCode: number;
  runId?: number;
}

/** The manifest stored in a snapshot of ours; undefined for snapshots made by plain restic. */
export async function readManifest(ctx: ServiceContext, snap: CatalogSnapshot, signal?: AbortSignal): Promise<StackManifest | undefined> {
  const path = snap.paths.find(isManifestPath);
  if (!path) return undefined;
  try {
    return JSON.parse(await ctx.restic.dump(snap.id, path, signal)) as StackManifest;
  } catch (err) {
    ctx.log.warn({ err: errorMessage(err) }, "cannot read the snapshot's manifest");
    return undefined;
  }
}

/** What a restore will write, once every check passed: the snapshot's paths mapped to this host. */
export interface RestorePlan {
  manifest?: StackManifest;
  /** Volume name → its mountpoint here (volumes that exist). */
  mountpoints: Map<string, string>;
  mappings: RestoreMapping[];
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
    if (!mappings.length) throw new AppError(`snapshot ${snap.shortId} holds no volume ${name}`, ExitCode.usage, "Pick a snapshot tagged vol:NAME: `backup-tui snapshots --tag vol:NAME`.");
  }
  if (req.file) {
    const one = narrowToFile(mappings, req.file);
    if (!one) throw new AppError(`${req.file} is not inside snapshot ${snap.shortId}`, ExitCode.usage, `Browse it with \`backup-tui ls ${snap.shortId}\`.`);
    mappings = [one];
  }
  // The dumps are loaded into their databases with --dump (or fetched with --target); in place they would only land in the state dir.
  if (!req.file && !req.target) mappings = mappings.filter((m) => !isDumpsPath(m.source));

  if (req.target) return { manifest, mountpoints, mappings, target: await assertTargetApart(ctx, req.target, mappings, { force: req.force }) };

  await assertInPlaceScope(ctx, req, snap, manifest, mappings);
  const mounted = mappings.filter((m) => isMountPoint(m.live));
  if (mounted.length) {
    throw new AppError(
      `${mounted.map((m) => m.live).join(", ")} ${mounted.length === 1 ? "is a mount point" : "are mount points"}: restoring in place would need to replace the mount`,
      ExitCode.usage,
      "Restore with --target DIR and copy the files into place, or restore a narrower --file.",
    );
  }
  return { manifest, mountpoints, mappings };
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
  const { manifest, mountpoints, mappings, target } = await planRestore(ctx, req);
  const report: RestoreReport = { mode: "in-place", snapshot: snap.id, mappings, createdVolumes: [], downtimeMs: 0, notRestarted: [], exitCode: ExitCode.ok };

  if (req.dryRun) {
    // Nothing is written: what the restore would change, live or under --target.
    report.mode = "dry-run";
    await ensureIndexed(ctx, snap, req.signal);
    const where = (m: RestoreMapping) => (target ? join(target, m.source) : m.live);
    report.diff = mappings.map((m) => ({ live: where(m), ...diffTree({ ...m, live: where(m) }, ctx.store.catalog.tree(snap.id, m.source), walk(where(m))) }));
    return report;
  }

  if (target) {
    report.mode = "target";
    emit({ type: "phase", stack: scopeName(req), phase: "restoring", detail: `under ${target}` });
    await ctx.restic.restore({ snapshot: snap.id, target, include: mappings.map((m) => m.source), signal: req.signal });
    return report;
  }

  const runId = ctx.store.startRun("restore", "manual", ctx.owner, { stack: req.scope.kind === "stack" ? req.scope.stack : manifest?.stack });
  report.runId = runId;
  const swaps = new SwapJournal(ctx.config.stateDir);
  const staged: string[] = [];
  try {
    for (const m of mappings) {
      if (m.volume && !mountpoints.has(m.volume)) {
        const recorded = manifest?.volumes.find((v) => v.name === m.volume);
        const created = await ctx.docker.createVolume(m.volume, recorded?.labels ?? {});
        mountpoints.set(m.volume, created.mountpoint);
        report.createdVolumes.push(m.volume);
        // The snapshot path is under the old host's mountpoint: keep the part below it.
        m.live = created.mountpoint + m.source.slice((recorded?.mountpoint ?? m.source).length);
      }
    }
    const affected = await affectedContainers(ctx, req, manifest, mappings);
    const work = async () => {
      // An empty directory (a volume just created) holds nothing to keep: no safety snapshot for it.
      const existing = mappings.filter((m) => existsSync(m.live) && !emptyDir(m.live)).map((m) => m.live);
      if (existing.length) {
        emit({ type: "phase", stack: scopeName(req), phase: "safety-snapshot" });
        const stackTag = req.scope.kind === "stack" ? req.scope.stack : manifest?.stack;
        const safety = await ctx.restic.backup({
          paths: existing,
          host: ctx.config.hostname,
          tags: ["backup-tui", ...(stackTag ? [`stack:${stackTag}`] : []), ...mappings.filter((m) => m.volume).map((m) => `vol:${m.volume}`), "kind:pre-restore", "trigger:manual"],
          signal: req.signal,
          timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
        });
        report.safetySnapshot = safety.snapshotId;
      }
      for (const m of mappings) {
        emit({ type: "phase", stack: scopeName(req), phase: "restoring", detail: m.live });
        const root = stagingRootFor(m.live, runId);
        staged.push(root);
        // Journalled before restic writes, so a crash at any point leaves nothing behind unnoticed.
        const swap = { id: `${runId}-${staged.length}`, live: m.live, staged: join(root, m.source), old: `${root}.old`, stagingRoot: root, owner: ctx.owner };
        swaps.write(swap);
        await ctx.restic.restore({ snapshot: snap.id, target: root, include: [m.source], signal: req.signal });
        swapIn(swap, swaps);
      }
    };
    const plan = planQuiesce(affected, "stop");
    if (plan.stopLevels.length) {
      const r = await quiesced(ctx, affected, plan, `restore-${runId}`, emit, work);
      report.downtimeMs = r.downtimeMs;
      report.notRestarted = r.report.failed;
      if (r.error) throw r.error;
    } else {
      await work();
    }
    report.exitCode = report.notRestarted.length ? ExitCode.serviceDown : ExitCode.ok;
    ctx.store.finishRun(runId, report.notRestarted.length ? "failed" : "succeeded", report.exitCode, undefined, report);
    return report;
  } catch (err) {
    ctx.store.finishRun(runId, req.signal.aborted ? "interrupted" : "failed", report.notRestarted.length ? ExitCode.serviceDown : ExitCode.failed, errorMessage(err), report);
    const hint = report.safetySnapshot ? `The data as it was before is in safety snapshot ${report.safetySnapshot.slice(0, 8)} (kind:pre-restore).` : undefined;
    throw Object.assign(new AppError(`restore failed: ${errorMessage(err)}`, report.notRestarted.length ? ExitCode.serviceDown : ExitCode.failed, hint), { cause: err });
  } finally {
    for (const root of staged) discardStaging(root);
    for (const e of swaps.list()) if (e.owner.pid === ctx.owner.pid && staged.includes(e.stagingRoot)) swaps.remove(e.id);
  }
}

/** What a restore would do, for a confirmation screen: the dry run's changes, and the running containers it would stop. */
export async function previewRestore(ctx: ServiceContext, req: RestoreRequest): Promise<RestoreReport & { stops: string[] }> {
  const report = await restore(ctx, { ...req, dryRun: true }, () => undefined);
  if (req.target) return { ...report, stops: [] };
  const manifest = await readManifest(ctx, req.snapshot, req.signal);
  const affected = await affectedContainers(ctx, req, manifest, report.mappings);
  const plan = planQuiesce(affected, "stop");
  return { ...report, stops: plan.stopLevels.flat().map((c) => c.name) };
}

function scopeName(req: RestoreRequest): string {
  return req.scope.kind === "stack" ? req.scope.stack : req.scope.volume;
}

/** The containers that must be stopped: the stack's, or only those mounting the restored volume. */
async function affectedContainers(ctx: ServiceContext, req: RestoreRequest, manifest: StackManifest | undefined, mappings: RestoreMapping[]): Promise<Stack> {
  const stacks = await discoverStacks(ctx.docker, ctx.config.docker.stacksDir);
  const name = req.scope.kind === "stack" ? req.scope.stack : manifest?.stack;
  const stack = stacks.find((s) => s.name === name) ?? stacks.find((s) => manifest && s.project === manifest.project);
  const onlyVolumes = mappings.every((m) => m.volume);
  let containers: ContainerInfo[] = stack?.containers ?? [];
  if (req.scope.kind === "volume" || onlyVolumes) {
    const volumes = new Set(mappings.map((m) => m.volume));
    const all = await ctx.docker.listContainers();
    containers = all.filter((c) => c.mounts.some((mt) => mt.type === "volume" && mt.name && volumes.has(mt.name)));
  }
  return {
    name: stack?.name ?? name ?? scopeName(req),
    project: stack?.project ?? manifest?.project ?? "",
    dir: stack?.dir ?? manifest?.dir,
    source: "labels",
    composeFiles: stack?.composeFiles ?? manifest?.composeFiles ?? [],
    envFiles: stack?.envFiles ?? manifest?.envFiles ?? [],
    containers,
    volumes: [],
    state: stackState(containers),
  };
}

function emptyDir(p: string): boolean {
  try {
    return statSync(p).isDirectory() && readdirSync(p).length === 0;
  } catch {
    return false;
  }
}
