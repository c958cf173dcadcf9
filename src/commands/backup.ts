import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { DirlistFile } from "../docker/dirlist";
import { parseDuration } from "../duration";
import { ExitCode, UsageError } from "../errors";
import { backupLines, planLines } from "../reports/backup";
import { planBackup } from "../services/backup/plan";
import { selectStacks, type Selection } from "../services/stacks/selection";
import type { Stack } from "../docker/discovery";
import type { ServiceContext } from "../services/run/context";
import { assertVolumeName, volumeTarget } from "../services/stacks/volume-target";
import { jobIdFor, ownScheduleStacks } from "../schedule/jobs";
import { backupJob } from "../usecases/backup";
import { jobHooks, reported } from "./job-hooks";
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
    env.printer.result(plan, () => planLines(plan).join("\n"));
    return ExitCode.ok;
  }
  const report = await reported(
    backupJob(
      ctx,
      { stacks, volume, trigger: o.scheduled ? "scheduled" : "manual", parallel, ...overrides },
      jobHooks(env, ctx, waitMs),
    ),
    (r) => env.printer.result({ type: "summary", ...r, fatal: undefined }, () => backupLines(r).join("\n")),
  );
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
