import { btui, shellQuote } from "../../command-hint";
import { ensurePrivateDir } from "../../fsops/private-files";
import { removeTree } from "../../fsops/swap";
import { join } from "node:path";
import { discoverStacks } from "../../docker/discovery";
import { AppError, ExitCode, ToolError, errorMessage } from "../../errors";
import { endedWith } from "../run/after-run";
import type { CatalogSnapshot } from "../../state/catalog";
import { stagingDir } from "../../state/staging";
import type { ServiceContext } from "../run/context";
import { dumpSpecs, runDumps, type DumpRecord, type DumpSpec } from "./dump";
import type { EventSink } from "../run/events";
import { sha256File } from "../../fsops/file-hash";
import { HARMLESS, loadScript } from "./scripts";
import { readManifest } from "../restore/restore";
import { assertSnapshotOf } from "../restore/scope";

export interface DumpRestoreReport {
  snapshot: string;
  service: string;
  container: string;
  engine: DumpRecord["engine"];
  bytes: number;
  /** The database as it was before, kept as a kind:pre-restore snapshot. */
  safetySnapshot?: string;
  ms: number;
  /** Errors the client printed and went past (a role that exists already...): shown, not fatal. */
  warnings: string[];
}

/** What a dump restore would do (`--dry-run`): nothing is fetched, dumped or loaded. */
export interface DumpRestorePlan {
  snapshot: string;
  /** When the snapshot (and so the dump) was made. */
  snapshotTime: string;
  service: string;
  engine: DumpRecord["engine"];
  /** The dump file in the snapshot, its size and the sha256 recorded when it was made (checked before loading). */
  file: string;
  bytes: number;
  sha256: string;
  database?: string;
  user?: string;
  /** The running container it loads into. */
  container: string;
  /** A dump of the database as it is now is kept as a kind:pre-restore snapshot first. */
  safetySnapshotFirst: true;
  /** Containers stopped: none, the database keeps running while the dump loads. */
  stops: string[];
}

interface DumpRestoreRequest {
  stack: string;
  service: string;
  snapshot: CatalogSnapshot;
  /** The host whose snapshots may be loaded here (--host); default: this host. */
  host?: string;
  signal: AbortSignal;
}

/** Everything a dump restore checks before it changes anything: the dump, and the running container to load it into. */
async function prepare(ctx: ServiceContext, o: DumpRestoreRequest) {
  const manifest = await readManifest(ctx, o.snapshot, o.signal);
  // The stack's own dump, made by this host (or --host): another stack's database is never loaded into this one.
  assertSnapshotOf(ctx, { scope: { kind: "stack", stack: o.stack }, host: o.host }, o.snapshot, manifest);
  const record = manifest?.dumps?.find((d) => d.service === o.service);
  if (!record) {
    const have = manifest?.dumps?.map((d) => d.service).join(", ");
    throw new AppError(
      `snapshot ${o.snapshot.shortId} holds no dump of ${o.service}`,
      ExitCode.usage,
      have ? `It has dumps of: ${have}.` : "Its stack had no backup-tui.dump label when it was backed up.",
    );
  }
  if (record.engine === "sqlite") {
    throw new AppError(
      `${o.service}'s dump is a SQLite file: restore it as a file`,
      ExitCode.usage,
      `\`${btui(`restore --stack ${o.stack} --file ${shellQuote(record.file)} --target DIR`)}\`, then copy it over the stopped service's database file.`,
    );
  }
  const stack = (await discoverStacks(ctx.docker, ctx.config.docker.stacksDir)).find((s) => s.name === o.stack);
  const spec = stack
    ? dumpSpecs(stack, ctx.config.stacks[stack.name]?.dumps).find((d) => d.service === o.service)
    : undefined;
  if (spec?.container.status !== "running") {
    throw new AppError(
      `${o.service} of ${o.stack} is not running with a backup-tui.dump label: there is no database to load the dump into`,
      ExitCode.usage,
      "Start the stack (`docker compose up -d`) and try again.",
    );
  }
  return { record, spec };
}

/** `restore --stack NAME --dump SERVICE --dry-run`: the same checks as the restore, and what it would do. */
export async function planDumpRestore(ctx: ServiceContext, o: DumpRestoreRequest): Promise<DumpRestorePlan> {
  const { record, spec } = await prepare(ctx, o);
  return {
    snapshot: o.snapshot.id,
    snapshotTime: o.snapshot.time,
    service: o.service,
    engine: record.engine,
    file: record.file,
    bytes: record.bytes,
    sha256: record.sha256,
    database: record.database,
    user: spec.user,
    container: spec.container.name,
    safetySnapshotFirst: true,
    stops: [],
  };
}

/**
 * `restore --stack NAME --dump SERVICE`: the service's dump from a snapshot, checked against the
 * hash recorded at backup time, loaded into its running container — after a fresh dump of the
 * current database was kept as a safety snapshot. SQLite dumps are files: restore them with --file.
 * Recorded in the run history: a restore run with the stack's row (its result) and the service in
 * its summary.
 */
export async function restoreDump(
  ctx: ServiceContext,
  o: DumpRestoreRequest,
  emit: EventSink,
): Promise<DumpRestoreReport> {
  const started = Date.now();
  const { record, spec } = await prepare(ctx, o);
  const runId = ctx.store.startRun("restore", "manual", ctx.owner);
  const startedAt = new Date(started).toISOString();
  // The stack's row says which stack (history --stack finds it) and how it ended; the summary names the service.
  const stackRow = (status: "succeeded" | "failed", error?: string) => ({
    runId,
    stack: o.stack,
    status,
    startedAt,
    durationMs: Date.now() - started,
    downtimeMs: 0,
    snapshotId: o.snapshot.id,
    error,
  });
  const summary = (extra: Partial<DumpRestoreReport>) => ({
    type: "restore-dump",
    stack: o.stack,
    service: o.service,
    snapshot: o.snapshot.id,
    container: spec.container.name,
    engine: spec.engine,
    bytes: record.bytes,
    ...extra,
  });
  try {
    const report = await load(ctx, o, record, spec, emit, started);
    ctx.store.recordStack(stackRow("succeeded"));
    ctx.store.finishRun(runId, "succeeded", ExitCode.ok, undefined, summary(report));
    return report;
  } catch (err) {
    const error = `${o.stack}/${o.service}: ${errorMessage(err)}`;
    ctx.store.recordStack(stackRow("failed", error));
    const ended = endedWith(o.signal, err instanceof AppError ? err.exitCode : ExitCode.failed);
    ctx.store.finishRun(runId, ended.status, ended.exitCode, error, summary({}));
    throw err;
  }
}

async function load(
  ctx: ServiceContext,
  o: DumpRestoreRequest,
  record: DumpRecord,
  spec: DumpSpec,
  emit: EventSink,
  started: number,
): Promise<DumpRestoreReport> {
  const work = join(stagingDir(ctx.config.stateDir, o.stack), "dump-restore");
  await removeTree(work);
  ensurePrivateDir(work);
  try {
    emit({
      type: "phase",
      stack: o.stack,
      phase: "restoring",
      detail: `fetching ${o.service}'s dump from ${o.snapshot.shortId}`,
    });
    const file = join(work, "restore.sql");
    await ctx.restic.dumpToFile(o.snapshot.id, record.file, file, o.signal);
    const hash = await sha256File(file);
    if (hash !== record.sha256)
      throw new AppError(
        `the dump of ${o.service} in ${o.snapshot.shortId} does not match the hash recorded when it was made`,
        ExitCode.failed,
        `Verify the repository (\`${btui("verify --level data")}\`) and pick another snapshot.`,
      );

    // The database as it is now, kept before it is overwritten.
    emit({ type: "phase", stack: o.stack, phase: "safety-snapshot", detail: `dumping ${o.service} as it is now` });
    const [current] = await runDumps(ctx, [spec], join(work, "current"), o.signal);
    const safety = await ctx.restic.backup({
      paths: [current.file],
      host: ctx.config.hostname,
      tags: ["backup-tui", `stack:${o.stack}`, "kind:pre-restore", "trigger:manual"],
      timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
      signal: o.signal,
    });

    emit({
      type: "phase",
      stack: o.stack,
      phase: "restoring",
      detail: `loading ${o.service}'s dump into ${spec.container.name}`,
    });
    let stderr = "";
    try {
      ({ stderr } = await ctx.dockerCli.execScript(spec.container.id, loadScript(spec.engine), [spec.user ?? ""], {
        inputFile: file,
        timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
        signal: o.signal,
      }));
    } catch (err) {
      const detail = err instanceof ToolError ? err.stderrTail.trim().split("\n").slice(-3).join(" | ") : "";
      throw new AppError(
        `loading the dump into ${spec.container.name} failed: ${errorMessage(err)}${detail ? ` (${detail})` : ""}`,
        ExitCode.failed,
        `The database as it was before is in safety snapshot ${safety.snapshotId.slice(0, 8)}.`,
      );
    }
    const warnings = stderr
      .split("\n")
      .filter((l) => /ERROR/.test(l) && !HARMLESS.test(l))
      .slice(0, 10);
    for (const w of warnings) ctx.log.warn({ service: o.service, message: w }, "dump load");
    return {
      snapshot: o.snapshot.id,
      service: o.service,
      container: spec.container.name,
      engine: spec.engine,
      bytes: record.bytes,
      safetySnapshot: safety.snapshotId,
      ms: Date.now() - started,
      warnings,
    };
  } finally {
    await removeTree(work);
  }
}
