import { btui } from "../command-hint";
import { eventSink, openContext, type CommandEnv } from "../app";
import { DirlistFile } from "../docker/dirlist";
import { parseDuration } from "../duration";
import { ExitCode, UsageError, errorMessage } from "../errors";
import { lockedBackup } from "../services/backup/run";
import { format, table } from "../output";
import type { BackupReport } from "../services/backup/backup";
import { planBackup, type BackupPlan } from "../services/backup/plan";
import { selectStacks, type Selection } from "../services/stacks/selection";
import type { Stack } from "../docker/discovery";
import type { ServiceContext } from "../services/run/context";
import { notifyOverdue } from "../services/status/overdue";
import { assertVolumeName, volumeTarget } from "../services/stacks/volume-target";
import { jobIdFor, ownScheduleStacks } from "../schedule/jobs";
import { lockLost } from "./locked";
import { startScheduled } from "./scheduled";

interface Options {
  all?: boolean;
  dryRun?: boolean;
  strategy?: "stop" | "down" | "pause" | "none" | "snapshot";
  singlePass?: boolean;
  parallel: string;
  volume?: string;
  scheduled?: boolean;
  wait?: string;
  doomsday?: boolean;
}

export async function run(env: CommandEnv, names: string[], o: Options): Promise<number> {
  if (o.doomsday) return (await import("./doomsday")).runDoomsday(env, names, o);
  const parallel = Number(o.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    throw new UsageError(`--parallel must be a whole number from 1 to 16 (got ${JSON.stringify(o.parallel)})`);
  if (o.volume && names.length)
    throw new UsageError("--volume takes no stack names", "Back up either stacks or one volume per run.");
  if (o.volume !== undefined) assertVolumeName(o.volume);
  // Every argument is checked before anything is written (the selection records new stacks in the dirlist).
  const waitMs = o.wait ? parseDuration(o.wait, "--wait") : 0;
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "backup", jobIdFor("backup", names))) return ExitCode.ok;
  const { stacks, volume } = o.volume ? await volumeSelection(ctx, o.volume) : await stackSelection(env, ctx, names, o);
  if (!stacks.length) return ExitCode.ok; // a scheduled run with nothing of its own to do (recorded as skipped)
  const overrides = { strategy: o.strategy, twoPass: o.singlePass ? false : undefined };
  if (o.dryRun) {
    const plan = await planBackup(ctx, stacks, overrides);
    env.printer.result(plan, () => renderPlan(plan));
    return ExitCode.ok;
  }
  const report = await lockedBackup(
    ctx,
    { stacks, volume, trigger: o.scheduled ? "scheduled" : "manual", parallel, signal: env.signal, ...overrides },
    { waitMs, onWait: (m) => env.printer.info(m), onLost: lockLost(env) },
    eventSink(env, ctx),
  );
  // Under timers or cron there is no daemon watching: each scheduled run looks for overdue stacks.
  if (o.scheduled)
    await notifyOverdue(ctx).catch((err) => ctx.log.warn({ err: errorMessage(err) }, "overdue check failed"));
  env.printer.result({ type: "summary", ...report, fatal: undefined }, () => renderSummary(report));
  if (report.fatal) throw report.fatal;
  for (const w of report.warnings) env.printer.warn(w);
  return report.exitCode;
}

async function stackSelection(
  env: CommandEnv,
  ctx: ServiceContext,
  names: string[],
  o: Options,
): Promise<{ stacks: Stack[]; volume?: undefined }> {
  const dirlist = new DirlistFile(ctx.config.dirlistFile);
  const sel = await selectStacks(ctx, dirlist, { names, all: o.all, recordNew: !o.dryRun });
  for (const w of sel.warnings) env.printer.warn(w);
  if (sel.added.length) env.printer.info(`new stacks added to ${dirlist.path} (disabled): ${sel.added.join(", ")}`);
  if (o.scheduled && !o.all && !o.dryRun) return scheduledSelection(env, ctx, sel, names, dirlist.path);
  if (!sel.selected.length) {
    throw new UsageError(
      "no stack is selected for backup",
      `Enable stacks with \`${btui("dirlist enable NAME")}\` (edits ${dirlist.path}), name them on the command line, or pass --all.`,
    );
  }
  return { stacks: sel.selected };
}

/**
 * A scheduled run follows the dirlist even for named stacks (disabling a stack stops its own
 * SCHEDULE too), and the [schedule] BACKUP run leaves stacks with their own SCHEDULE to it.
 */
function scheduledSelection(
  env: CommandEnv,
  ctx: ServiceContext,
  sel: Selection,
  names: string[],
  dirlistPath: string,
): { stacks: Stack[] } {
  const own = ownScheduleStacks(ctx.config);
  const stacks = sel.selected.filter((s) => sel.enabled.has(s.name) && (names.length || !own.has(s.name)));
  for (const s of sel.selected)
    if (!sel.enabled.has(s.name))
      env.printer.info(`${s.name} is disabled in ${dirlistPath}: its scheduled backup is skipped`);
  if (!stacks.length) {
    const reason = names.length ? `disabled in ${dirlistPath}` : "no enabled stack without its own SCHEDULE";
    ctx.store.recordSkipped("backup", jobIdFor("backup", names), reason, ctx.owner);
    env.printer.info(`nothing to back up: ${reason}`);
  }
  return { stacks };
}

async function volumeSelection(
  ctx: ServiceContext,
  name: string,
): Promise<{ stacks: Stack[]; volume: { name: string; owner?: string } }> {
  const { target, owner } = await volumeTarget(ctx.docker, ctx.config.docker.stacksDir, name);
  return { stacks: [target], volume: { name, owner } };
}

function renderSummary(r: BackupReport): string {
  const rows = r.outcomes.map((o) => [
    o.stack,
    o.status,
    format.ms(o.durationMs),
    o.downtimeMs ? format.ms(o.downtimeMs) : "0",
    format.bytes(o.bytesAdded),
    o.snapshotId?.slice(0, 8) ?? "-",
  ]);
  const lines = [table(["STACK", "RESULT", "DURATION", "DOWNTIME", "ADDED", "SNAPSHOT"], rows)];
  for (const o of r.outcomes) {
    if (o.unreadable?.length)
      lines.push(
        `${o.stack}: ${o.unreadable.length} file(s) could not be read:\n  ${o.unreadable.slice(0, 20).join("\n  ")}`,
      );
    for (const n of o.notes ?? []) lines.push(`${o.stack}: ${n}`);
    if (o.status === "failed" && o.error) lines.push(`${o.stack} failed: ${o.error}`);
    for (const f of o.notRestarted ?? [])
      lines.push(
        `URGENT: ${f.name} (${o.stack}) is not running again: ${f.reason}${f.logTail ? `\n  last log lines:\n    ${f.logTail.trim().split("\n").join("\n    ")}` : ""}`,
      );
  }
  if (r.retention) lines.push(`retention: ${r.retention.map((x) => `${x.stack} -${x.removed}`).join(", ")}`);
  if (r.verification)
    lines.push(
      `verification (${r.verification.level}): ${r.verification.ok ? "ok" : `FAILED\n${r.verification.detail ?? ""}`}`,
    );
  lines.push(`run #${r.runId}: ${r.status}`);
  return lines.join("\n");
}

/** "postgres dump of db (app-db-1), database app as user postgres". */
function dumpLine(d: BackupPlan["stacks"][number]["dumps"][number]): string {
  const detail =
    d.engine === "sqlite"
      ? `file ${d.path}`
      : [d.database ? `database ${d.database}` : "all databases", d.user ? `as user ${d.user}` : ""]
          .filter(Boolean)
          .join(" ");
  return `${d.engine} dump of ${d.service} (${d.container}), ${detail}`;
}

export function renderPlan(plan: BackupPlan): string {
  const out: string[] = [
    "Dry run: nothing is stopped, nothing is written.",
    ...(plan.notes ?? []).map((n) => `note: ${n}`),
    "",
  ];
  for (const s of plan.stacks) {
    out.push(
      `${s.stack} (${s.state}) strategy ${s.strategy}${s.twoPass ? ", two-pass" : ""}, about ${format.bytes(s.estimatedBytes)}`,
    );
    for (const d of s.dumps) out.push(`  would dump first, while the service runs: ${dumpLine(d)}`);
    if (s.stop.length) out.push(`  would stop: ${s.stop.join(", ")}`);
    if (s.pause.length) out.push(`  would pause: ${s.pause.join(", ")}`);
    if (s.down.length) out.push(`  would compose down/up: ${s.down.join(", ")}`);
    for (const v of s.snapshots ?? []) out.push(`  would snapshot (btrfs, read-only): ${v}`);
    for (const u of s.untouched) out.push(`  leaves alone: ${u}`);
    for (const p of s.paths) out.push(`  path: ${p}`);
    for (const e of s.excludes) out.push(`  exclude: ${e}`);
    for (const n of s.notes) out.push(`  note: ${n}`);
  }
  return out.join("\n");
}
