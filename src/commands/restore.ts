import { btui } from "../command-hint";
import { eventSink, openContext, type CommandEnv } from "../app";
import { AppError, ExitCode, UsageError } from "../errors";
import { format, table } from "../output";
import { ensureCatalog, refreshCatalog, resolveSnapshot } from "../services/snapshots/catalog";
import { preflight } from "../services/run/preflight";
import { planRestore, restore, type RestoreReport } from "../services/restore/restore";
import { planDumpRestore, restoreDump } from "../services/dumps/restore";
import { assertVolumeName } from "../services/stacks/volume-target";
import type { CatalogSnapshot } from "../state/catalog";
import { confirmDestructive } from "./guard";
import { withRepoLock } from "./locked";
import { pull } from "./pull";

interface Options {
  stack?: string;
  dump?: string;
  volume?: string;
  file?: string;
  snapshot: string;
  host?: string;
  target?: string;
  dryRun?: boolean;
  yes?: boolean;
  confirmPasswordFile?: string;
  wait?: string;
  force?: boolean;
  disaster?: boolean;
  overwrite?: boolean;
}

export async function run(env: CommandEnv, path: string | undefined, o: Options): Promise<number> {
  if (o.disaster) return (await import("./disaster")).runDisaster(env, path, o);
  if (o.overwrite) throw new UsageError("--overwrite goes with --disaster");
  if (!o.stack && !o.volume) {
    if (o.file || o.target || o.dryRun)
      throw new UsageError("--file, --target and --dry-run go with --stack or --volume");
    return pull(env, path, o); // stage 3: the repository back from the cloud
  }
  if (o.stack && o.volume) throw new UsageError("--stack and --volume exclude each other");
  if (o.volume !== undefined) assertVolumeName(o.volume);
  if (path) throw new UsageError(`unexpected argument ${JSON.stringify(path)}`, "Name a single file with --file PATH.");
  if (o.dump && (!o.stack || o.file || o.target))
    throw new UsageError(
      "--dump SERVICE goes with --stack (and --dry-run, --snapshot, --host), not with --file or --target",
      `\`${btui("restore --stack NAME --dump SERVICE [--dry-run]")}\`; to fetch the dump file, use --file PATH --target DIR.`,
    );
  const ctx = openContext(env);
  const snapshot = await pick(ctx, o, env.signal);
  if (o.dump) return o.dryRun ? previewDump(env, ctx, o, snapshot) : loadDump(env, ctx, o, snapshot);
  const scope = o.stack ? { kind: "stack" as const, stack: o.stack } : { kind: "volume" as const, volume: o.volume! };
  const label = `${o.file ? `${o.file} of ` : ""}${o.stack ? `stack ${o.stack}` : `volume ${o.volume}`}`;
  const req = {
    scope,
    snapshot,
    file: o.file,
    target: o.target,
    force: o.force,
    host: o.host,
    dryRun: o.dryRun,
    signal: env.signal,
  };
  if (o.dryRun || o.target) {
    const report = await restore(ctx, req, eventSink(env, ctx));
    env.printer.result({ type: "restore", ...report }, () => render(report, snapshot, label));
    return ExitCode.ok;
  }
  // The same checks as the run, before asking: the confirmation names every live path it replaces.
  const plan = await planRestore(ctx, req);
  await confirmDestructive(
    env,
    ctx.config,
    ctx.log,
    `restore ${label} from snapshot ${snapshot.shortId} (${snapshot.time.slice(0, 16).replace("T", " ")}) over the live data, replacing ${plan.mappings.map((m) => m.live).join(", ")}`,
    o,
  );
  return withRepoLock(ctx, env, o.wait, async () => {
    const emit = eventSink(env, ctx);
    await preflight(ctx, emit, env.signal);
    const report = await restore(ctx, req, emit);
    await refreshCatalog(ctx).catch(() => undefined);
    env.printer.result({ type: "restore", ...report }, () => render(report, snapshot, label));
    return report.exitCode;
  });
}

/** restore --stack NAME --dump SERVICE: the database loaded back from its dump (guarded, under the lock). */
async function loadDump(
  env: CommandEnv,
  ctx: ReturnType<typeof openContext>,
  o: Options,
  snapshot: CatalogSnapshot,
): Promise<number> {
  await confirmDestructive(
    env,
    ctx.config,
    ctx.log,
    `load ${o.dump}'s database dump from snapshot ${snapshot.shortId} (${format.when(snapshot.time)}) into the running ${o.dump} of ${o.stack}`,
    o,
  );
  return withRepoLock(ctx, env, o.wait, async () => {
    const r = await restoreDump(
      ctx,
      { stack: o.stack!, service: o.dump!, snapshot, host: o.host, signal: env.signal },
      eventSink(env, ctx),
    );
    await refreshCatalog(ctx).catch(() => undefined);
    env.printer.result({ type: "restore-dump", ...r }, () =>
      [
        `loaded ${o.dump}'s ${r.engine} dump (${format.bytes(r.bytes)}) from ${snapshot.shortId} into ${r.container} in ${format.ms(r.ms)}`,
        `the database as it was before is kept in safety snapshot ${r.safetySnapshot?.slice(0, 8)} (kind:pre-restore)`,
        ...r.warnings.map((w) => `warning from the database: ${w}`),
      ].join("\n"),
    );
    return ExitCode.ok;
  });
}

/** restore --stack NAME --dump SERVICE --dry-run: the same checks, and what it would do; nothing is fetched, dumped or loaded. */
async function previewDump(
  env: CommandEnv,
  ctx: ReturnType<typeof openContext>,
  o: Options,
  snapshot: CatalogSnapshot,
): Promise<number> {
  const p = await planDumpRestore(ctx, {
    stack: o.stack!,
    service: o.dump!,
    snapshot,
    host: o.host,
    signal: env.signal,
  });
  env.printer.result({ type: "restore-dump-plan", ...p }, () =>
    [
      `Dry run: restoring ${o.stack}'s ${p.service} database from snapshot ${snapshot.shortId} would:`,
      `  load the ${p.engine} dump ${p.file} (${format.bytes(p.bytes)}, sha256 ${p.sha256.slice(0, 16)}…, made ${format.when(p.snapshotTime)}; its hash is checked first)`,
      `  into the running container ${p.container}${p.database ? `, database ${p.database}` : ""}${p.user ? ` as ${p.user}` : ""}`,
      `  after keeping a dump of ${p.service} as it is now in a safety snapshot (kind:pre-restore)`,
      "  stop nothing: the database keeps running while the dump loads",
      "Nothing was changed.",
    ].join("\n"),
  );
  return ExitCode.ok;
}

/** --snapshot ID, or latest: the newest stack snapshot of the stack (or snapshot holding the volume) for this host or --host. */
async function pick(ctx: ReturnType<typeof openContext>, o: Options, signal: AbortSignal): Promise<CatalogSnapshot> {
  const host = o.host ?? ctx.config.hostname;
  if (o.snapshot !== "latest") return resolveSnapshot(ctx, o.snapshot, {}, signal);
  if (o.stack) return resolveSnapshot(ctx, "latest", { stack: o.stack, host, kind: "stack" }, signal);
  await ensureCatalog(ctx, signal);
  const find = () =>
    ctx.store.catalog.list({ tag: `vol:${o.volume}`, host }).find((s) => s.kind === "stack" || s.kind === "volume");
  const snap = find() ?? (await refreshCatalog(ctx, signal), find());
  if (!snap)
    throw new AppError(
      `no snapshot holds volume ${o.volume}${o.host ? ` from host ${o.host}` : ""}`,
      ExitCode.usage,
      `List them with \`${btui("snapshots --tag vol:NAME --all")}\`.`,
    );
  return snap;
}

function render(r: RestoreReport, snap: CatalogSnapshot, label: string): string {
  if (r.mode === "dry-run") {
    const lines = [`Dry run: restoring ${label} from ${snap.shortId} would change:`];
    lines.push(
      table(
        ["PATH", "ADDED", "CHANGED", "REMOVED", "BYTES"],
        (r.diff ?? []).map((d) => [
          d.live,
          String(d.added.length),
          String(d.changed.length),
          String(d.removed.length),
          format.bytes(d.bytes),
        ]),
      ),
    );
    for (const d of r.diff ?? []) {
      for (const [k, list] of [
        ["+", d.added],
        ["~", d.changed],
        ["-", d.removed],
      ] as const)
        for (const p of list.slice(0, 20)) lines.push(`  ${k} ${p}`);
    }
    if (r.stopReason)
      lines.push(
        r.stops?.length
          ? `It stops ${r.stops.join(", ")} while the data is swapped in, then starts ${r.stops.length === 1 ? "it" : "them"} again: ${r.stopReason}.`
          : `It stops nothing: ${r.stopReason}.`,
      );
    return lines.join("\n");
  }
  if (r.mode === "target")
    return `restored ${label} from ${snap.shortId} under ${r.mappings.length ? "the target directory" : ""}:\n${r.mappings.map((m) => `  ${m.source}`).join("\n")}`;
  const lines = [
    `restored ${label} from ${snap.shortId}:`,
    ...r.mappings.map((m) => `  ${m.live}${m.live !== m.source ? ` (from ${m.source})` : ""}`),
  ];
  if (r.createdVolumes.length) lines.push(`created volumes: ${r.createdVolumes.join(", ")}`);
  if (r.safetySnapshot)
    lines.push(`the previous data is kept in safety snapshot ${r.safetySnapshot.slice(0, 8)} (kind:pre-restore)`);
  if (r.downtimeMs) lines.push(`downtime: ${format.ms(r.downtimeMs)}`);
  for (const f of r.notRestarted) lines.push(`URGENT: ${f.name} is not running again: ${f.reason}`);
  return lines.join("\n");
}
