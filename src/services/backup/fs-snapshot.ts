import type { Config, Strategy } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { quiesce, resume, type QuiescePlan, type ResumeReport } from "../../docker/lifecycle";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { BtrfsProvider } from "../../fssnap/btrfs";
import { bindOrigin, readMountinfo, type MountEntry } from "../../fssnap/mountinfo";
import { planSnapshots, type SnapshotPlan } from "../../fssnap/plan";
import type { FsSnapshotProvider } from "../../fssnap/provider";
import type { JournalEntry } from "../../state/journal";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { flushFilesystem } from "../run/flush";
import { journalEntry, lifecycleDeps, stopNotices } from "../stacks/quiesce";
import { parseSize } from "../retention/space-budget";

const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(n < 10 * MiB ? 1 : 0)} MiB`;

export function snapshotProviders(ctx: Pick<ServiceContext, "fsSnapshotProviders" | "runner">): FsSnapshotProvider[] {
  return ctx.fsSnapshotProviders ?? [new BtrfsProvider(ctx.runner)];
}

/** The strategy a snapshot stack falls back to: SNAPSHOT_FALLBACK, else STOP_STRATEGY, else stop. */
export function snapshotFallback(config: Config): Exclude<Strategy, "snapshot"> {
  const global = config.docker.strategy;
  return config.docker.snapshotFallback ?? (global === "snapshot" ? "stop" : global);
}

export type SnapshotDecision =
  | { use: true; plan: SnapshotPlan }
  | { use: false; fallback: Exclude<Strategy, "snapshot">; reason: string; note: string };

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

/**
 * Which of a stack's backup paths must come from a snapshot: everything its containers can write
 * (volumes, bind mounts, extra paths). The stack directory itself only when a container
 * bind-mounts something inside it; otherwise (compose files, config) it may be read live when it
 * is not on a filesystem that can be snapshotted.
 */
export function snapshotPaths(stack: Stack, paths: string[]): { required: string[]; optional: string[] } {
  const dir = stack.dir;
  const written =
    !!dir && stack.containers.some((c) => c.mounts.some((m) => m.type === "bind" && inside(m.source, dir)));
  const optional = dir && !written ? paths.filter((p) => p === dir) : [];
  return { required: paths.filter((p) => !optional.includes(p)), optional };
}

/**
 * Whether a stack's paths can all be snapshotted (an optional path that cannot is read live,
 * with a note); else the fallback and a sentence saying why.
 */
export async function decideSnapshot(
  ctx: Pick<ServiceContext, "fsSnapshotProviders" | "runner" | "config">,
  paths: { required: string[]; optional: string[] },
  id: string,
  signal?: AbortSignal,
): Promise<SnapshotDecision & { notes: string[] }> {
  const providers = snapshotProviders(ctx);
  const notes: string[] = [];
  const optional = paths.optional.filter((p) => {
    const r = planSnapshots(providers, [p], id);
    if ("plan" in r) return true;
    notes.push(
      `the stack directory is read live, not from a snapshot (${r.reasons.join("; ")}; no container writes into it)`,
    );
    return false;
  });
  const r = planSnapshots(providers, [...paths.required, ...optional], id);
  const reasons = "plan" in r ? await nestedReasons(providers, r.plan, signal) : r.reasons;
  if ("plan" in r && !reasons.length) return { use: true, plan: r.plan, notes };
  const fallback = snapshotFallback(ctx.config);
  const reason = reasons.join("; ");
  return {
    use: false,
    fallback,
    reason,
    note: `snapshot strategy not possible (${reason}): strategy ${fallback} used instead`,
    notes: [],
  };
}

/**
 * A unit nested below a planned path (a btrfs subvolume inside the subvolume) shows empty in
 * the parent's snapshot: unless it is itself a planned path's whole unit, the data would be missed.
 */
async function nestedReasons(
  providers: FsSnapshotProvider[],
  plan: SnapshotPlan,
  signal?: AbortSignal,
): Promise<string[]> {
  const byName = new Map(providers.map((p) => [p.name, p]));
  const covered = new Set(
    plan.snapshots.filter((s) => s.rels.includes("")).map((s) => `${s.unit.fs.id}:${s.unit.path}`),
  );
  const reasons: string[] = [];
  for (const s of plan.snapshots) {
    let nested: string[];
    try {
      nested = await byName.get(s.provider)!.nestedUnits(s.unit, s.rels, signal);
    } catch (err) {
      reasons.push(`cannot list the subvolumes inside ${s.unit.source}: ${errorMessage(err)}`);
      continue;
    }
    for (const n of nested.filter((x) => !covered.has(`${s.unit.fs.id}:${x}`))) {
      reasons.push(`${s.unit.source} holds the nested subvolume ${n}, which its snapshot would show empty`);
    }
  }
  return reasons;
}

/** Refuses (before anything is frozen) when a filesystem has less free space than SNAPSHOT_MIN_FREE. */
export function checkSnapshotSpace(config: Config, plan: SnapshotPlan): void {
  const min = parseSize(config.docker.snapshotMinFree ?? "1G");
  for (const fs of plan.filesystems) {
    if (fs.freeBytes < min) {
      throw new AppError(
        `not enough free space for a btrfs snapshot: ${fs.source} (mounted at ${fs.mountPoint}) has ${mib(fs.freeBytes)} free, less than SNAPSHOT_MIN_FREE ${config.docker.snapshotMinFree ?? "1G"}; nothing was paused or stopped`,
        ExitCode.failed,
        "Free space on that filesystem, lower SNAPSHOT_MIN_FREE in [docker], or set another STOP_STRATEGY for this stack.",
      );
    }
  }
}

export interface FrozenSnapshots {
  entry: JournalEntry;
  downtimeMs: number;
  report: ResumeReport;
  /** Freezing or snapshotting failed (everything is running again; what was made is deleted by dropSnapshots). */
  error?: unknown;
}

/**
 * Freezes the stack's running containers (pause, or stop per SNAPSHOT_FREEZE), takes one
 * read-only snapshot per unit while frozen, and brings the containers back at once. The journal
 * entry lists containers and snapshots before either is touched; after the thaw it keeps only the
 * snapshots (and any container that did not come back) until dropSnapshots.
 */
export async function freezeAndSnapshot(
  ctx: ServiceContext,
  stack: Stack,
  qplan: QuiescePlan,
  snap: SnapshotPlan,
  runId: number | string,
  emit: EventSink,
  signal?: AbortSignal,
): Promise<FrozenSnapshots> {
  const deps = lifecycleDeps(ctx);
  const providers = new Map(snapshotProviders(ctx).map((p) => [p.name, p]));
  const entry: JournalEntry = {
    ...journalEntry(ctx, stack, qplan, runId),
    strategy: "snapshot",
    fsSnapshots: snap.snapshots.map((s) => ({ provider: s.provider, path: s.dest })),
  };
  ctx.journal.write(entry);
  const names = entry.containers.map((c) => c.name);
  emit({
    type: "phase",
    stack: stack.name,
    phase: "stopping",
    detail: `${names.length ? `${qplan.pause.length ? "pausing" : "stopping"} ${names.join(", ")}, ` : ""}${snap.snapshots.length} btrfs snapshot(s)`,
  });
  // While the stack still runs: the data written just before goes to disk now, or the snapshot
  // would commit it with the containers frozen (the freeze grew with what was unwritten).
  for (const source of new Set(snap.snapshots.map((s) => s.unit.source)))
    await flushFilesystem(ctx, source, "the data written before the freeze", signal);
  const frozenAt = Date.now();
  let error: unknown;
  try {
    await quiesce(stack, qplan, deps, stopNotices(stack, emit, [], signal));
    for (const s of snap.snapshots) await providers.get(s.provider)!.create(s.unit, s.dest, signal);
  } catch (err) {
    error = err;
  }
  const report = names.length ? await resume(entry, deps) : { started: [], failed: [] };
  const downtimeMs = Date.now() - frozenAt;
  emit({ type: "phase", stack: stack.name, phase: "starting", detail: `frozen ${downtimeMs} ms` });
  ctx.journal.write({
    ...entry,
    containers: entry.containers.filter((c) => report.failed.some((f) => f.name === c.name)),
  });
  return { entry, downtimeMs, report, error };
}

/** Deletes a journal entry's filesystem snapshots; the entry goes once they and its containers are all dealt with. */
export async function dropSnapshots(
  ctx: ServiceContext,
  entry: JournalEntry,
  o: { keepContainers?: JournalEntry["containers"] } = {},
): Promise<string[]> {
  const providers = new Map(snapshotProviders(ctx).map((p) => [p.name, p]));
  const left: NonNullable<JournalEntry["fsSnapshots"]> = [];
  const problems: string[] = [];
  for (const s of entry.fsSnapshots ?? []) {
    const p = providers.get(s.provider);
    try {
      if (!p) throw new Error(`no ${s.provider} provider here`);
      await p.remove(s.path);
    } catch (err) {
      left.push(s);
      problems.push(`could not delete the ${s.provider} snapshot ${s.path}: ${errorMessage(err)}`);
    }
  }
  const containers = o.keepContainers ?? [];
  if (!left.length && !containers.length) ctx.journal.remove(entry.id);
  else ctx.journal.write({ ...entry, containers, fsSnapshots: left });
  if (problems.length) ctx.log.warn({ problems }, "filesystem snapshots left behind");
  return problems;
}

/**
 * Volumes whose Mountpoint is a bind mount Docker removes when their containers stop (local
 * driver, `o=bind,device=DIR`): while stopped, restic must read them through a private mount
 * namespace where DIR is bound over the Mountpoint again (same paths in the repository).
 * `unreachable`: separate mounts (NFS, CIFS...) whose origin is not visible here.
 */
export function stoppedVolumeBinds(
  stack: Stack,
  mounts?: MountEntry[],
): { binds: Array<{ original: string; copy: string }>; unreachable: string[] } {
  try {
    mounts ??= readMountinfo();
  } catch {
    return { binds: [], unreachable: [] }; // no /proc: nothing to learn
  }
  const binds: Array<{ original: string; copy: string }> = [];
  const unreachable: string[] = [];
  for (const v of stack.volumes) {
    const origin = bindOrigin(v.mountpoint, mounts);
    if (origin === null) unreachable.push(v.name);
    else if (origin) binds.push({ original: v.mountpoint, copy: origin });
  }
  return { binds, unreachable };
}
