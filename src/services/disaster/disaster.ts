import { btui } from "../../command-hint";
import { ensurePrivateDir, removeFile } from "../../fsops/private-files";
import { occupied, pathExists } from "../../fsops/probe";
import { join } from "node:path";
import { COMPOSE } from "../../docker/labels";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { localRepoFacts } from "../../fsops/repo-files";
import type { CatalogSnapshot } from "../../state/catalog";
import { refreshCatalog, resolveSnapshot } from "../snapshots/catalog";
import type { ServiceContext } from "../run/context";
import { liveHostPaths, recoveryConflicts } from "./conflicts";
import { DisasterJournal } from "./journal";
import { settle, waitForDatabase } from "./start";
import { DOOMSDAY_TAG } from "../doomsday/doomsday";
import type { EventSink } from "../run/events";
import type { DisasterReport, StackRecovery } from "./report";
import { BUILTIN_NETWORKS, checkInventory, startOrder, type Inventory } from "../doomsday/inventory";
import { pullSomeCopy } from "./pull-copies";
import type { SyncTarget } from "../../config/targets";
import type { StackManifest } from "../snapshots/manifest";
import { readManifest, restore } from "../restore/restore";
import { restoreDump } from "../dumps/restore";

// Bare-metal recovery (`restore --disaster`): on a new host with Docker, from the cloud copy
// alone. Every step is journalled (disaster-journal.ts) once the recovery is accepted, so a
// rerun continues, skipping a step only while what it made is still there; nothing that
// existed on the host before the recovery began (engine objects or live paths) is touched
// unless `overwrite`.

export interface DisasterRequest {
  /** The old host's name (snapshots are per host); default: this config's HOSTNAME. */
  host?: string;
  overwrite?: boolean;
  /** Skip the pull (the repository is already local: the pull step of an earlier run, or a copy by hand). */
  noPull?: boolean;
  /**
   * The copy to pull. Default: [cloud_sync]'s, and when that one does not come back (unreachable,
   * gone, failing restic check), each other target in config order, until one does.
   */
  from?: SyncTarget;
  retryBaseMs?: number;
  stallTimeoutMs?: number;
  /** How long a started stack gets to run (and be healthy, where it has healthchecks). */
  settleTimeoutMs?: number;
  signal: AbortSignal;
}

export type { DisasterReport, StackRecovery } from "./report";

const INVENTORY_PATH = /\/staging\/_?doomsday\/inventory\.json$/;

export async function disasterRestore(
  ctx: ServiceContext,
  req: DisasterRequest,
  emit: EventSink,
): Promise<DisasterReport> {
  try {
    return await recover(ctx, req, emit);
  } catch (err) {
    // In a recovery the repository is data we need: never the generic "create it with init".
    if (err instanceof AppError && (err as AppError & { kind?: string }).kind === "no-repository") {
      throw new AppError(err.message, err.exitCode, missingRepositoryHint(ctx), { cause: err });
    }
    throw err;
  }
}

function missingRepositoryHint(ctx: ServiceContext): string {
  const repo = ctx.config.restic.repository;
  return ctx.config.cloud.remote
    ? `The recovery needs the cloud copy there: run \`${btui("restore --disaster")}\` again (it pulls ${ctx.config.cloud.remote}:${ctx.config.cloud.path} into ${repo}), or pull it first with \`${btui(`restore ${repo}`)}\`.`
    : `The recovery reads the repository: set RCLONE_REMOTE and RCLONE_PATH in [cloud_sync] so it pulls the cloud copy into ${repo}, or copy the repository there by hand; then run it again.`;
}

async function recover(ctx: ServiceContext, req: DisasterRequest, emit: EventSink): Promise<DisasterReport> {
  const started = Date.now();
  const journal = new DisasterJournal(ctx.config.stateDir);
  const resumed = journal.resumed;
  const host = req.host ?? journal.data.host ?? ctx.config.hostname;
  const say = (message: string, stack = "disaster") => emit({ type: "info", stack, message });
  if (resumed)
    say(
      `continuing the recovery begun ${journal.data.startedAt} (${journal.data.done.length} step(s) done; journal ${journal.file})`,
    );
  const warnings: string[] = [];
  const warn = (message: string, stack = "disaster") => {
    warnings.push(message);
    emit({ type: "warning", stack, message });
  };

  // A step an earlier run completed is skipped only when its result is still there.
  const redo = (id: string) =>
    warn(`step ${id} was done by the interrupted run, but what it made is gone: doing it again`);
  const step = <T>(id: string, fn: () => Promise<T>, stillThere: () => Promise<boolean> | boolean) =>
    journal.step(id, fn, stillThere, redo);

  // 1. The repository, from the cloud copy (stage 3), checked.
  const repo = ctx.config.restic.repository;
  const repositoryThere = async () =>
    (!repo.startsWith("/") || localRepoFacts(repo).exists) && (await ctx.restic.exists(req.signal).catch(() => false));
  await step(
    "pull",
    async () => {
      if (req.noPull) {
        if (!(await repositoryThere()))
          throw new AppError(`no restic repository at ${repo}`, ExitCode.failed, missingRepositoryHint(ctx));
        return;
      }
      if (!repo.startsWith("/"))
        throw new AppError(
          `RESTIC_REPOSITORY ${repo} is not a local directory`,
          ExitCode.config,
          "Set RESTIC_REPOSITORY to an empty local directory: the recovery pulls the cloud copy into it.",
        );
      await pullSomeCopy(ctx, req, repo, emit, warn);
    },
    repositoryThere,
  );

  // 2. The newest doomsday snapshot of the host, and its inventory.
  await refreshCatalog(ctx, req.signal);
  const snap = journal.data.snapshot
    ? await resolveSnapshot(ctx, journal.data.snapshot, {}, req.signal)
    : ctx.store.catalog.list({ host, tag: DOOMSDAY_TAG, limit: 1 })[0];
  if (!snap) {
    const hosts = [...new Set(ctx.store.catalog.list({ tag: DOOMSDAY_TAG }).map((s) => s.host))];
    throw new AppError(
      `the repository holds no doomsday snapshot from host ${host}`,
      ExitCode.usage,
      hosts.length
        ? `It has doomsday snapshots from: ${hosts.join(", ")} — pass --host NAME.`
        : `Run \`${btui("backup --doomsday")}\` on the old host (and \`sync\`) first.`,
    );
  }
  const invPath = snap.paths.find((p) => INVENTORY_PATH.test(p));
  if (!invPath)
    throw new AppError(
      `snapshot ${snap.shortId} has no inventory.json`,
      ExitCode.failed,
      "Pick another doomsday snapshot.",
    );
  const inv = checkInventory(JSON.parse(await ctx.restic.dump(snap.id, invPath, req.signal)) as Inventory, snap);
  say(
    `recovering ${inv.host} from doomsday snapshot ${snap.shortId} (${snap.time}): ${inv.stacks.length} stack(s), ${inv.volumes.length} volume(s), ${inv.networks.length} network(s)`,
  );

  // Each stack's snapshot and manifest: which live paths (stack directory, bind sources, EXTRA_PATHS) its restore writes.
  const stackSnaps = new Map<string, CatalogSnapshot>();
  const manifests = new Map<string, StackManifest | undefined>();
  for (const s of inv.stacks) {
    if (!s.snapshot) continue;
    const ss = await resolveSnapshot(ctx, s.snapshot, {}, req.signal);
    stackSnaps.set(s.name, ss);
    manifests.set(s.name, await readManifest(ctx, ss, req.signal));
  }
  const livePaths = [...new Set([...stackSnaps].flatMap(([name, ss]) => liveHostPaths(ss.paths, manifests.get(name))))];

  // 3. What is on this host already: recorded once, before anything is created.
  if (!journal.data.preexisting) {
    const [networks, volumes, containers] = await Promise.all([
      ctx.dockerCli.names("network", req.signal),
      ctx.dockerCli.names("volume", req.signal),
      ctx.dockerCli.names("container", req.signal),
    ]);
    const dirs = inv.stacks.map((s) => s.dir).filter((d): d is string => !!d && occupied(d));
    journal.data.preexisting = {
      networks: networks.filter((n) => !BUILTIN_NETWORKS.has(n)),
      volumes,
      containers,
      dirs,
      paths: livePaths.filter(occupied),
    };
    journal.data.snapshot = snap.id;
    journal.data.host = host;
  }
  const manifestVolumes = [...manifests.values()].flatMap((m) => m?.volumes.map((v) => v.name) ?? []);
  const conflicts = recoveryConflicts(inv, journal.data.preexisting, livePaths, manifestVolumes);
  if (conflicts.length && !req.overwrite) {
    // Refused: no journal is written (a rerun starts afresh, pulling again if the copy is gone).
    throw new AppError(
      `this host already has ${conflicts.length} thing(s) the recovery would replace: ${conflicts.slice(0, 12).join(", ")}${conflicts.length > 12 ? `, ... (${conflicts.length - 12} more)` : ""}`,
      ExitCode.usage,
      "Nothing was changed. Remove them, or pass --overwrite to restore over them (stack data then gets a safety snapshot first).",
    );
  }
  for (const c of conflicts) warn(`--overwrite: ${c} existed before the recovery and is restored over`);
  journal.commit();

  const report: DisasterReport = {
    snapshot: snap.id,
    snapshotTime: snap.time,
    host: inv.host,
    resumed,
    created: journal.data.created,
    imagesLoaded: [],
    stacks: [],
    manualContainers: [],
    files: {},
    warnings,
    durationMs: 0,
    exitCode: ExitCode.ok,
  };

  // 4. Images kept with docker save, where this host lacks them.
  for (const img of inv.savedImages) {
    const imageThere = () => ctx.dockerCli.hasImage(img.ref, req.signal);
    await step(
      `image:${img.ref}`,
      async () => {
        if (await ctx.dockerCli.hasImage(img.ref, req.signal)) return;
        emit({ type: "phase", stack: "disaster", phase: "restoring", detail: `loading image ${img.ref}` });
        const tmp = join(ctx.config.stateDir, "disaster", "image.tar");
        ensurePrivateDir(join(ctx.config.stateDir, "disaster"));
        try {
          await ctx.restic.dumpToFile(snap.id, img.file, tmp, req.signal);
          await ctx.dockerCli.loadImage(tmp, req.signal);
        } finally {
          removeFile(tmp);
        }
        report.imagesLoaded.push(img.ref);
      },
      imageThere,
    );
  }

  // 5. Networks and named volumes, as they were (labels included: Compose adopts them).
  const networksThere = async () => {
    const here = new Set(await ctx.dockerCli.names("network", req.signal));
    return inv.networks.every((n) => here.has(n.name));
  };
  await step(
    "networks",
    async () => {
      const here = new Set(await ctx.dockerCli.names("network", req.signal));
      for (const n of inv.networks) {
        if (here.has(n.name)) continue;
        try {
          await ctx.dockerCli.createNetwork(n, req.signal);
        } catch (err) {
          if (!n.subnets.some((x) => x.subnet)) throw err;
          warn(
            `network ${n.name}: its old subnet ${n.subnets.map((s) => s.subnet).join(", ")} is not free here; created with one Docker picks`,
          );
          await ctx.dockerCli.createNetwork({ ...n, subnets: [] }, req.signal);
        }
        journal.data.created.networks.push(n.name);
        journal.save();
        say(`created network ${n.name}`);
      }
    },
    networksThere,
  );
  // Volumes whose data a snapshot holds are created by the restore itself (no safety snapshot of an empty volume).
  const restored = new Set(
    inv.volumes
      .filter(
        (v) =>
          (v.in === "doomsday" && snap.paths.includes(v.mountpoint)) ||
          (v.in.startsWith("stack:") && inv.stacks.some((s) => `stack:${s.name}` === v.in && s.snapshot)),
      )
      .map((v) => v.name),
  );
  const volumeThere = async (name: string) => !!(await ctx.docker.inspectVolume(name));
  const emptyVolumesThere = async () => {
    for (const v of inv.volumes) if (!restored.has(v.name) && !(await volumeThere(v.name))) return false;
    return true;
  };
  await step(
    "volumes",
    async () => {
      for (const v of inv.volumes) {
        if (restored.has(v.name) || (await ctx.docker.inspectVolume(v.name))) continue;
        if (v.driver !== "local") warn(`volume ${v.name} used driver ${v.driver}: created with the local driver`);
        await ctx.docker.createVolume(v.name, v.labels);
        if (!journal.data.created.volumes.includes(v.name)) journal.data.created.volumes.push(v.name);
        journal.save();
      }
      say(`created ${journal.data.created.volumes.length} volume(s) holding no data; the others come with their data`);
    },
    emptyVolumesThere,
  );

  // 6. Stack directories and volume data: each stack's snapshot, then volumes only the doomsday snapshot holds.
  for (const s of inv.stacks) {
    const ss = stackSnaps.get(s.name);
    if (!ss) {
      warn(`stack ${s.name} had no snapshot when the doomsday backup ran: it cannot be recovered`, s.name);
      continue;
    }
    const manifest = manifests.get(s.name);
    const stackThere = async () => {
      for (const v of manifest?.volumes ?? []) if (!(await volumeThere(v.name))) return false;
      return liveHostPaths(ss.paths, manifest).every((p) => pathExists(p));
    };
    await step(
      `restore:${s.name}`,
      async () => {
        emit({ type: "phase", stack: s.name, phase: "restoring", detail: `stack ${s.name} from ${ss.shortId}` });
        const r = await restore(
          ctx,
          {
            scope: { kind: "stack", stack: s.name },
            snapshot: ss,
            host: ss.host,
            oldHostPaths: true,
            signal: req.signal,
          },
          emit,
        );
        for (const v of r.createdVolumes)
          if (!journal.data.created.volumes.includes(v)) journal.data.created.volumes.push(v);
        journal.save();
      },
      stackThere,
    );
  }
  for (const v of inv.volumes.filter((x) => x.in === "doomsday")) {
    if (!snap.paths.includes(v.mountpoint)) continue;
    await step(
      `volume:${v.name}`,
      async () => {
        emit({ type: "phase", stack: "disaster", phase: "restoring", detail: `volume ${v.name}` });
        const r = await restore(
          ctx,
          { scope: { kind: "volume", volume: v.name }, snapshot: snap, host: snap.host, signal: req.signal },
          emit,
        );
        for (const x of r.createdVolumes)
          if (!journal.data.created.volumes.includes(x)) journal.data.created.volumes.push(x);
      },
      () => volumeThere(v.name),
    );
  }
  const aside = join(ctx.config.stateDir, "disaster", "files");
  for (const [what, p] of Object.entries(inv.files)) {
    if (what === "portainer" || what === "daemon.json") {
      const dest = join(aside, what === "portainer" ? "portainer-backup.tar.gz" : "daemon.json");
      await step(
        `file:${what}`,
        async () => {
          ensurePrivateDir(aside);
          await ctx.restic.dumpToFile(snap.id, p, dest, req.signal);
        },
        () => pathExists(dest),
      );
      report.files[what] = dest;
    }
  }

  // 7. Stacks that ran, started in dependency order; their databases loaded from the dumps.
  const order = startOrder(inv.stacks.filter((s) => s.running && stackSnaps.has(s.name)));
  const byName = new Map(inv.stacks.map((s) => [s.name, s]));
  for (const name of order) {
    const s = byName.get(name)!;
    const rec: StackRecovery = { stack: name, wasRunning: true, state: "not-started", containers: [], dumps: [] };
    report.stacks.push(rec);
    try {
      const containersOf = () => ctx.docker.listContainers(`${COMPOSE.project}=${s.project}`);
      await step(
        `start:${name}`,
        async () => {
          emit({
            type: "phase",
            stack: name,
            phase: "starting",
            detail: `compose up -d${s.dependsOn.length ? ` (after ${s.dependsOn.join(", ")})` : ""}`,
          });
          await ctx.compose.up(
            { project: s.project, workingDir: s.dir, configFiles: s.composeFiles, envFiles: s.envFiles },
            [],
            { timeoutMs: ctx.config.docker.timeoutSec * 1000, signal: req.signal },
          );
        },
        async () => (await containersOf()).length > 0,
      );
      const manifest = manifests.get(name);
      for (const d of (manifest?.dumps ?? []).filter((x) => x.engine !== "sqlite")) {
        // A loaded dump lives in its database's container (and volume, checked with the stack): gone with it.
        const dbThere = async () => (await containersOf()).some((c) => c.labels[COMPOSE.service] === d.service);
        await step(
          `dump:${name}:${d.service}`,
          async () => {
            await waitForDatabase(
              ctx,
              s,
              d.service,
              d.engine as "postgres" | "mariadb",
              req.settleTimeoutMs ?? 120_000,
              req.signal,
            );
            emit({ type: "phase", stack: name, phase: "dump", detail: `loading ${d.service}'s ${d.engine} dump` });
            const r = await restoreDump(
              ctx,
              {
                stack: name,
                service: d.service,
                snapshot: stackSnaps.get(name)!,
                host: stackSnaps.get(name)!.host,
                signal: req.signal,
              },
              emit,
            );
            for (const w of r.warnings) warn(`${name}/${d.service}: ${w}`, name);
          },
          dbThere,
        );
        rec.dumps.push(d.service);
      }
    } catch (err) {
      if (req.signal.aborted) throw err;
      rec.state = "failed";
      rec.error = errorMessage(err) + (err instanceof AppError && err.hint ? ` (${err.hint})` : "");
      warn(`${name}: ${rec.error}`, name);
    }
  }
  for (const s of inv.stacks.filter((x) => !x.running && stackSnaps.has(x.name)))
    report.stacks.push({ stack: s.name, wasRunning: false, state: "not-started", containers: [], dumps: [] });

  // 8. Each stack's state, and health where it has healthchecks.
  await settle(
    ctx,
    report.stacks.filter((r) => r.wasRunning && r.state !== "failed"),
    byName,
    req.settleTimeoutMs ?? 120_000,
    req.signal,
  );
  const composed = new Set(inv.stacks.map((s) => s.project));
  report.manualContainers = inv.containers
    .filter((c) => !c.project || !composed.has(c.project))
    .map((c) => ({ name: c.name, image: c.image }));
  for (const c of report.manualContainers)
    warn(
      `container ${c.name} (${c.image}) was not started by Compose: its volumes are restored, recreate it by hand (inventory.json has its mounts and labels)`,
    );

  const down = report.stacks.some((r) => r.wasRunning && r.state !== "running");
  report.exitCode = down ? ExitCode.serviceDown : ExitCode.ok;
  report.durationMs = Date.now() - started;
  if (!down) journal.complete();
  return report;
}
