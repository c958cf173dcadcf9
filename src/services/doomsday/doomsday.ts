import { ensurePrivateDir } from "../../fsops/private-files";
import { fileSize, isFile, pathExists } from "../../fsops/probe";
import { join } from "node:path";
import type { Stack } from "../../docker/discovery";
import { COMPOSE } from "../../docker/labels";
import { planQuiesce } from "../../docker/lifecycle";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { endedWith } from "../run/after-run";
import { format } from "../../format";
import type { Snapshot } from "../../restic/json";
import { clearStaging, stagingDir, writeStagedJson } from "../../state/staging";
import type { BackupReport } from "../backup/backup";
import type { ServiceContext } from "../run/context";
import { KIT_FILES, kitRemotePath, remaskKitConfig, writeKit, type RunbookFacts } from "./kit";
import { portainerBackup } from "./portainer";
import type { EventSink } from "../run/events";
import {
  readInventory,
  stackDependencies,
  type Inventory,
  type InventoryImage,
  type InventoryStack,
} from "./inventory";
import type { StackManifest } from "../snapshots/manifest";
import { quiesced } from "../stacks/quiesce";

// The doomsday snapshot (kind:doomsday): beside the stacks' own snapshots of the same run, the
// rest of the host's Docker world — named volumes no stack snapshot holds (containers outside
// Compose included), daemon.json, the config and dirlist, the inventory, saved images, a
// Portainer backup — and the recovery kit. Staged under STATE/staging/_doomsday.

/** Its staging directory: a stack name cannot start with "_", so no stack's staging is this one. */
export const DOOMSDAY_STAGE = "_doomsday";
export const DOOMSDAY_TAG = "kind:doomsday";

export interface DoomsdayReport {
  runId: number;
  snapshotId?: string;
  stacks: number;
  /** Volumes whose data is in the doomsday snapshot itself (no stack snapshot holds them). */
  volumes: string[];
  networks: number;
  containers: number;
  images: Array<{ ref: string; bytes: number }>;
  localImages: string[];
  portainer?: { bytes: number } | { error: string };
  kit: { dir: string; files: string[] };
  bytesAdded?: number;
  /** Containers outside the stacks stopped for the copy of their volumes that did not run again. */
  notRestarted?: string[];
  warnings: string[];
  exitCode: number;
}

/** Where the newest kit is kept on this host (sync pushes it beside the cloud copy). */
export function kitDir(stateDir: string): string {
  return join(stateDir, "kit");
}

/**
 * Writes the doomsday snapshot after a backup of every stack (the caller holds the repository
 * lock). `stacks` is how they were before the backup (running or not); `backup` its report.
 */
export async function doomsdaySnapshot(
  ctx: ServiceContext,
  req: { stacks: Stack[]; backup: BackupReport; trigger: "manual" | "scheduled"; signal: AbortSignal },
  emit: EventSink,
): Promise<DoomsdayReport> {
  const cfg = ctx.config.doomsday ?? { saveImages: "off", daemonConfig: "/etc/docker/daemon.json" };
  const runId = ctx.store.startRun("backup", req.trigger, ctx.owner);
  const staging = stagingDir(ctx.config.stateDir, DOOMSDAY_STAGE);
  const report: DoomsdayReport = {
    runId,
    stacks: req.stacks.length,
    volumes: [],
    networks: 0,
    containers: 0,
    images: [],
    localImages: [],
    kit: { dir: kitDir(ctx.config.stateDir), files: [] },
    warnings: [],
    exitCode: ExitCode.ok,
  };
  const warn = (message: string) => {
    report.warnings.push(message);
    emit({ type: "warning", stack: "doomsday", message });
  };
  await clearStaging(staging);
  ensurePrivateDir(staging);
  try {
    emit({ type: "phase", stack: "doomsday", phase: "backup", detail: "reading the Docker inventory" });
    const [found, dockerVersion] = await Promise.all([
      readInventory(ctx, req.signal),
      ctx.docker
        .version()
        .then((v) => v.version)
        .catch(() => "unknown"),
    ]);
    report.networks = found.networks.length;
    report.containers = found.containers.length;

    // Stacks: their snapshot from this run (or the newest before it when this run failed them).
    const outcome = new Map(req.backup.outcomes.map((o) => [o.stack, o]));
    const projectToStack = new Map(req.stacks.filter((s) => s.project).map((s) => [s.project, s.name]));
    const stacks: InventoryStack[] = req.stacks
      .filter((s) => s.source !== "external")
      .map((s) => ({
        name: s.name,
        project: s.project,
        dir: s.dir,
        composeFiles: s.composeFiles,
        envFiles: s.envFiles,
        running: s.state === "running",
        snapshot:
          outcome.get(s.name)?.snapshotId ??
          ctx.store.catalog.list({ host: ctx.config.hostname, tag: `stack:${s.name}` }).find((c) => c.kind === "stack")
            ?.id,
        dependsOn: stackDependencies(s.project, found.containers, found.networks, found.volumes, projectToStack),
      }));
    for (const s of stacks) if (!s.snapshot) warn(`stack ${s.name} has no snapshot: it cannot be recovered`);

    // Volumes no good stack snapshot holds: their data goes into this snapshot.
    const heldBy = new Map<string, string>();
    for (const s of req.stacks)
      if (outcome.get(s.name)?.snapshotId) for (const v of s.volumes) heldBy.set(v.name, `stack:${s.name}`);
    const paths: string[] = [];
    const volumes = found.volumes.map((v) => ({ ...v, in: heldBy.get(v.name) ?? "doomsday" }));
    for (const v of volumes) {
      if (v.in !== "doomsday") continue;
      if (v.driver !== "local" || !pathExists(v.mountpoint)) {
        warn(`volume ${v.name} (driver ${v.driver}) is not on this host's disk: only its definition is kept`);
        continue;
      }
      paths.push(v.mountpoint);
      report.volumes.push(v.name);
    }

    const files: Record<string, string> = {};
    const keep = (what: string, p: string | undefined) => {
      if (p && isFile(p)) {
        files[what] = p;
        paths.push(p);
      }
    };
    keep("daemon.json", cfg.daemonConfig);
    keep("config", ctx.config.source.file);
    keep("dirlist", ctx.config.dirlistFile);

    report.localImages = found.images
      .filter((i) => i.local)
      .flatMap((i) => i.tags.filter((t) => t !== "<none>:<none>"));
    const saved = await saveImages(ctx, found.images, cfg.saveImages, join(staging, "images"), emit, req.signal).catch(
      (err) => {
        if (req.signal.aborted) throw err;
        warn(`docker save failed: ${errorMessage(err)}`);
        return [];
      },
    );
    report.images = saved.map((s) => ({ ref: s.ref, bytes: s.bytes }));
    if (saved.length) paths.push(join(staging, "images"));

    if (cfg.portainerUrl) {
      emit({ type: "phase", stack: "doomsday", phase: "backup", detail: "Portainer: POST /api/backup" });
      const file = join(staging, "portainer-backup.tar.gz");
      try {
        const bytes = await portainerBackup(cfg.portainerUrl, cfg.portainerToken, file, req.signal);
        report.portainer = { bytes };
        files.portainer = file;
        paths.push(file);
      } catch (err) {
        if (req.signal.aborted) throw err;
        report.portainer = { error: errorMessage(err) };
        warn(`${errorMessage(err)}: the rest of the doomsday backup goes on without it`);
      }
    }

    // The recovery kit: into the snapshot, and kept in the state dir for sync to push beside the cloud copy.
    const createdAt = new Date().toISOString();
    const facts: RunbookFacts = {
      host: ctx.config.hostname,
      createdAt,
      version: ctx.version,
      remote:
        ctx.config.cloud.remote && ctx.config.cloud.path
          ? `${ctx.config.cloud.remote}:${ctx.config.cloud.path}`
          : undefined,
      repository: ctx.config.restic.repository,
      passwordHint: cfg.passwordHint,
      passwordSource: passwordSource(ctx),
      stacks: stacks.map((s) => ({ name: s.name, dir: s.dir, running: s.running })),
      volumes: volumes.length,
      networks: found.networks.length,
      savedImages: saved.map((s) => s.ref),
      localImages: report.localImages,
      portainer: report.portainer
        ? "bytes" in report.portainer
          ? `${format.bytes(report.portainer.bytes)}`
          : `failed: ${report.portainer.error}`
        : undefined,
      configFile: ctx.config.source.file,
    };
    const kit = writeKit(join(staging, "kit"), ctx.config, facts);
    if (!kit.executable)
      warn(
        "backup-tui is not running as its single executable: the kit holds no executable (build it with `npm run build`)",
      );
    paths.push(join(staging, "kit"));

    const inventory: Inventory = {
      format: 1,
      host: ctx.config.hostname,
      createdAt,
      docker: { version: dockerVersion },
      ...found,
      volumes,
      stacks,
      files,
      savedImages: saved,
    };
    paths.push(writeStagedJson(staging, "inventory.json", inventory));
    // A manifest in the stack snapshots' shape: `restore --volume` and the disaster restore map its volumes by name.
    const manifest: StackManifest = {
      format: 1,
      stack: "doomsday",
      project: "",
      composeFiles: [],
      envFiles: [],
      host: ctx.config.hostname,
      createdAt,
      strategy: "none",
      paths,
      excludes: [],
      volumes: volumes
        .filter((v) => report.volumes.includes(v.name))
        .map((v) => ({ name: v.name, mountpoint: v.mountpoint, driver: v.driver, labels: v.labels })),
      containers: [],
      tools: { "backup-tui": ctx.version, docker: dockerVersion },
    };
    paths.push(writeStagedJson(staging, "manifest.json", manifest));

    emit({
      type: "phase",
      stack: "doomsday",
      phase: "backup",
      detail: `${paths.length} path(s): ${report.volumes.length} volume(s) outside the stack snapshots, kit, inventory`,
    });
    const tags = ["backup-tui", DOOMSDAY_TAG, `trigger:${req.trigger}`];
    const once = () =>
      ctx.restic.backup({
        paths,
        host: ctx.config.hostname,
        tags,
        compression: ctx.config.restic.compression,
        timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
        signal: req.signal,
        onProgress: (progress) => emit({ type: "progress", stack: "doomsday", pass: "single", progress }),
      });
    // Containers outside the stacks that mount these volumes are stopped meanwhile, with the
    // stacks' care (journalled, started again whatever happens; backup-tui.stop=false respected).
    const owners = await outsideContainers(ctx, req.stacks, report.volumes);
    let r: Awaited<ReturnType<typeof once>> | undefined;
    if (owners.containers.length) {
      const plan = planQuiesce(owners, ctx.config.docker.strategy === "none" ? "none" : "stop", "stop");
      const q = await quiesced(
        ctx,
        owners,
        plan,
        `doomsday-${runId}`,
        emit,
        async () => {
          r = await once();
        },
        { signal: req.signal },
      );
      for (const f of q.report.failed)
        warn(`URGENT: ${f.name} is not running again after the doomsday backup: ${f.reason}`);
      if (q.report.failed.length) report.notRestarted = q.report.failed.map((f) => f.name);
      if (q.error) throw q.error;
    } else {
      r = await once();
    }
    if (!r) throw new AppError("the doomsday backup wrote no snapshot", ExitCode.failed);
    report.snapshotId = r.snapshotId;
    report.bytesAdded = r.summary.data_added;
    const snap: Snapshot = {
      id: r.snapshotId,
      short_id: r.snapshotId.slice(0, 8),
      time: createdAt,
      tree: "",
      paths,
      hostname: ctx.config.hostname,
      tags,
      summary: { data_added: r.summary.data_added, total_bytes_processed: r.summary.total_bytes_processed },
    };
    ctx.store.catalog.add([snap]);
    if (r.partial)
      warn(
        `${r.unreadable.length} file(s) could not be read: ${r.unreadable
          .slice(0, 5)
          .map((u) => u.item)
          .join(", ")}`,
      );

    // The kit stays on this host for `sync` to push beside the cloud copy.
    report.kit = {
      dir: kitDir(ctx.config.stateDir),
      files: writeKit(kitDir(ctx.config.stateDir), ctx.config, facts).files,
    };
    report.exitCode = report.notRestarted?.length
      ? ExitCode.serviceDown
      : report.warnings.length
        ? ExitCode.partial
        : ExitCode.ok;
    ctx.store.finishRun(
      runId,
      report.warnings.length ? "partial" : "succeeded",
      report.exitCode,
      report.warnings.join("\n") || undefined,
      report,
    );
    return report;
  } catch (err) {
    const ended = endedWith(req.signal, report.notRestarted?.length ? ExitCode.serviceDown : ExitCode.failed);
    ctx.store.finishRun(runId, ended.status, ended.exitCode, errorMessage(err), report);
    throw err instanceof AppError
      ? err
      : new AppError(`doomsday snapshot ${ended.status}: ${errorMessage(err)}`, ended.exitCode);
  } finally {
    await clearStaging(staging);
  }
}

/** Running containers of no backed-up stack that mount the given volumes, as one pseudo-stack. */
async function outsideContainers(ctx: ServiceContext, stacks: Stack[], volumes: string[]): Promise<Stack> {
  const projects = new Set(stacks.map((s) => s.project).filter(Boolean));
  const wanted = new Set(volumes);
  const containers = volumes.length
    ? (await ctx.docker.listContainers()).filter(
        (c) =>
          c.status === "running" &&
          !projects.has(c.labels[COMPOSE.project] ?? "") &&
          c.mounts.some((m) => m.type === "volume" && m.name && wanted.has(m.name)),
      )
    : [];
  return {
    name: "doomsday-volumes",
    project: "",
    source: "labels",
    composeFiles: [],
    envFiles: [],
    containers,
    volumes: [],
    state: containers.length ? "running" : "not-found",
  };
}

function passwordSource(ctx: ServiceContext): string {
  const p = ctx.config.restic.password;
  if (p.kind === "file") return `the file ${p.path} (RESTIC_PASSWORD_FILE)`;
  if (p.kind === "command") return "RESTIC_PASSWORD_COMMAND";
  if (p.kind === "value") return "RESTIC_PASSWORD in the config file";
  return "the environment (RESTIC_PASSWORD)";
}

/** SAVE_IMAGES: off, local (every image without a registry digest) or a comma list of image names. */
export function imagesToSave(images: InventoryImage[], setting: string): string[] {
  const s = setting.trim().toLowerCase();
  if (s === "off" || s === "false" || s === "no" || s === "") return [];
  const named = (i: InventoryImage) => i.tags.filter((t) => t !== "<none>:<none>");
  if (s === "local") return images.filter((i) => i.local).flatMap((i) => named(i).slice(0, 1));
  const wanted = setting
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  const norm = (r: string) => (r.includes(":") ? r : `${r}:latest`);
  return wanted.filter((w) => images.some((i) => named(i).includes(norm(w)))).map(norm);
}

async function saveImages(
  ctx: ServiceContext,
  images: InventoryImage[],
  setting: string,
  dir: string,
  emit: EventSink,
  signal: AbortSignal,
): Promise<Inventory["savedImages"]> {
  const refs = imagesToSave(images, setting);
  if (!refs.length) return [];
  ensurePrivateDir(dir);
  const out: Inventory["savedImages"] = [];
  for (const ref of refs) {
    const file = join(dir, `${ref.replace(/[^A-Za-z0-9_.-]/g, "_")}.tar`);
    await ctx.dockerCli.saveImage(ref, file, signal);
    const bytes = fileSize(file);
    out.push({ ref, file, bytes });
    emit({ type: "info", stack: "doomsday", message: `saved image ${ref}: ${format.bytes(bytes)}` });
  }
  return out;
}

export { KIT_FILES };

/** Copies the newest recovery kit beside the cloud copy (RCLONE_PATH.kit); undefined when there is none or no remote. */
export async function pushKit(
  ctx: ServiceContext,
  signal?: AbortSignal,
  to: { remote?: string; path?: string } = ctx.config.cloud,
): Promise<string | undefined> {
  const dir = kitDir(ctx.config.stateDir);
  const { remote, path } = to;
  if (!remote || !path || !pathExists(dir)) return undefined;
  const dest = kitRemotePath(remote, path);
  remaskKitConfig(dir);
  await ctx.rclone.copy(dir, dest, { timeoutMs: ctx.config.cloud.syncTimeoutSec * 1000, signal });
  return dest;
}
