import { openContext, type CommandEnv } from "../app";
import { ExitCode, UsageError } from "../errors";
import { syncLines } from "../reports/sync";
import { syncJob } from "../usecases/sync";
import { jobHooks, reported } from "./job-hooks";
import { startScheduled } from "./scheduled";

interface Options {
  dryRun?: boolean;
  bwlimit?: string;
  transfers?: string;
  force?: boolean;
  scheduled?: boolean;
  wait?: string;
}

export async function run(env: CommandEnv, o: Options): Promise<number> {
  const transfers = o.transfers === undefined ? undefined : Number(o.transfers);
  if (transfers !== undefined && (!Number.isInteger(transfers) || transfers < 1 || transfers > 256))
    throw new UsageError(`--transfers must be a whole number from 1 to 256 (got ${JSON.stringify(o.transfers)})`);
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "sync", "sync")) return ExitCode.ok;
  // Never while a backup writes the repository: the same lock as backup (or --wait for it).
  const { sync } = await reported(
    syncJob(ctx, { dryRun: o.dryRun, bwlimit: o.bwlimit, transfers, force: o.force }, jobHooks(env, ctx, o.wait)),
    ({ sync: r, kitWarning }) => {
      if (kitWarning) env.printer.warn(kitWarning);
      env.printer.result({ type: "sync", ...r }, () => syncLines(r).join("\n"));
    },
  );
  return sync.exitCode;
}
