import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { AppError, ExitCode, UsageError } from "../errors";
import { dumpRestoreLines, dumpRestorePlanLines } from "../reports/dump-restore";
import { restoreLines } from "../reports/restore";
import { ensureCatalog, refreshCatalog, resolveSnapshot } from "../services/snapshots/catalog";
import { assertVolumeName } from "../services/stacks/volume-target";
import type { CatalogSnapshot } from "../state/catalog";
import {
  dumpRestoreAction,
  dumpRestoreJob,
  previewDumpRestoreJob,
  type DumpRestoreJobRequest,
} from "../usecases/dump-restore";
import type { JobHooks } from "../usecases/hooks";
import { planInPlaceRestore, restoreJob, restoreLabel, type RestoreJobRequest } from "../usecases/restore";
import { confirmDestructive } from "./guard";
import { jobHooks, reported } from "./job-hooks";
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
  from?: string;
}

export async function run(env: CommandEnv, path: string | undefined, o: Options): Promise<number> {
  if (o.disaster) return (await import("./disaster")).runDisaster(env, path, o);
  if (o.overwrite) throw new UsageError("--overwrite goes with --disaster");
  if (!o.stack && !o.volume) {
    if (o.file || o.target || o.dryRun)
      throw new UsageError("--file, --target and --dry-run go with --stack or --volume");
    return pull(env, path, o); // stage 3: the repository back from the cloud
  }
  if (o.from !== undefined)
    throw new UsageError(
      "--from goes with stage 3 (`restore [PATH] --from NAME`) and --disaster: a stack is restored from the local repository",
      `Pull the copy first: \`${btui(`restore /srv/restored-repo --from ${o.from}`)}\`, then restore from it.`,
    );
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
  // --wait is read only where a lock is taken (a dry run or a --target restore takes none).
  const hooks = jobHooks(env, ctx, o.dryRun || o.target ? undefined : o.wait);
  if (o.dump) return o.dryRun ? previewDump(env, ctx, o, snapshot) : loadDump(env, ctx, o, snapshot, hooks);
  const req: RestoreJobRequest = {
    scope: o.stack ? { kind: "stack", stack: o.stack } : { kind: "volume", volume: o.volume! },
    snapshot,
    file: o.file,
    target: o.target,
    force: o.force,
    host: o.host,
    dryRun: o.dryRun,
  };
  if (!o.dryRun && !o.target) {
    // The same checks as the run, before asking: the confirmation names every live path it replaces.
    const { action } = await planInPlaceRestore(ctx, req, env.signal);
    req.confirmation = await confirmDestructive(env, ctx.config, ctx.log, action, o);
  }
  const subject = { label: restoreLabel(req), shortId: snapshot.shortId, target: o.target };
  const report = await reported(restoreJob(ctx, req, hooks), (r) =>
    env.printer.result({ type: "restore", ...r }, () => restoreLines(r, subject).join("\n")),
  );
  return report.mode === "in-place" ? report.exitCode : ExitCode.ok;
}

/** restore --stack NAME --dump SERVICE: the database loaded back from its dump (guarded, under the lock). */
async function loadDump(
  env: CommandEnv,
  ctx: ReturnType<typeof openContext>,
  o: Options,
  snapshot: CatalogSnapshot,
  hooks: JobHooks,
): Promise<number> {
  const req: DumpRestoreJobRequest = { stack: o.stack!, service: o.dump!, snapshot, host: o.host };
  req.confirmation = await confirmDestructive(env, ctx.config, ctx.log, dumpRestoreAction(req), o);
  const r = await dumpRestoreJob(ctx, req, hooks);
  env.printer.result({ type: "restore-dump", ...r }, () => dumpRestoreLines(r, snapshot.shortId).join("\n"));
  return ExitCode.ok;
}

/** restore --stack NAME --dump SERVICE --dry-run: the same checks, and what it would do; nothing is fetched, dumped or loaded. */
async function previewDump(
  env: CommandEnv,
  ctx: ReturnType<typeof openContext>,
  o: Options,
  snapshot: CatalogSnapshot,
): Promise<number> {
  const p = await previewDumpRestoreJob(
    ctx,
    { stack: o.stack!, service: o.dump!, snapshot, host: o.host },
    { signal: env.signal },
  );
  env.printer.result({ type: "restore-dump-plan", ...p }, () =>
    dumpRestorePlanLines(p, o.stack!, snapshot.shortId).join("\n"),
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
