import { openContext, type CommandEnv } from "../app";
import { DirlistFile } from "../docker/dirlist";
import { parseDuration } from "../duration";
import { ExitCode, UsageError } from "../errors";
import { doomsdayLines } from "../reports/doomsday";
import { selectStacks } from "../services/stacks/selection";
import { doomsdayJob } from "../usecases/doomsday";
import { jobHooks } from "./job-hooks";
import { startScheduled } from "./scheduled";

/**
 * `backup --doomsday`: every stack as stage 1 (the same stop/start care, the same service),
 * then the kind:doomsday snapshot of the rest of the host and the recovery kit.
 */
export async function runDoomsday(
  env: CommandEnv,
  names: string[],
  o: { parallel: string; scheduled?: boolean; wait?: string; dryRun?: boolean; volume?: string },
): Promise<number> {
  if (names.length || o.volume || o.dryRun)
    throw new UsageError("--doomsday backs up the whole host: it takes no stack names, --volume or --dry-run");
  const parallel = Number(o.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    throw new UsageError(`--parallel must be a whole number from 1 to 16 (got ${JSON.stringify(o.parallel)})`);
  // Every argument is checked before anything is written (the selection records new stacks in the dirlist).
  const waitMs = o.wait ? parseDuration(o.wait, "--wait") : 0;
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "backup", "doomsday")) return ExitCode.ok;
  const sel = await selectStacks(ctx, new DirlistFile(ctx.config.dirlistFile), {
    names: [],
    all: true,
    recordNew: true,
  });
  for (const w of sel.warnings) env.printer.warn(w);
  const stacks = sel.selected.filter((s) => s.source !== "external" || sel.enabled.has(s.name));
  const { backup, doom, exitCode } = await doomsdayJob(
    ctx,
    { stacks, parallel, trigger: o.scheduled ? "scheduled" : "manual" },
    jobHooks(env, ctx, waitMs),
  );
  if (backup.fatal) throw backup.fatal;
  if (!doom) return backup.exitCode;
  env.printer.result({ type: "doomsday", backup: { ...backup, fatal: undefined }, ...doom }, () =>
    doomsdayLines(backup, doom).join("\n"),
  );
  for (const w of backup.warnings) env.printer.warn(w);
  return exitCode;
}
