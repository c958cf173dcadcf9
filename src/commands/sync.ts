import { openContext, type CommandEnv } from "../app";
import { ExitCode, UsageError } from "../errors";
import { syncJobLines } from "../reports/sync";
import { acceptLossAction, syncJob } from "../usecases/sync";
import { confirmDestructive, type GuardOptions } from "./guard";
import { jobHooks, reported } from "./job-hooks";
import { startScheduled } from "./scheduled";

interface Options extends GuardOptions {
  dryRun?: boolean;
  bwlimit?: string;
  transfers?: string;
  force?: boolean;
  to?: string;
  acceptLoss?: boolean;
  scheduled?: boolean;
  wait?: string;
}

export async function run(env: CommandEnv, o: Options): Promise<number> {
  const transfers = o.transfers === undefined ? undefined : Number(o.transfers);
  if (transfers !== undefined && (!Number.isInteger(transfers) || transfers < 1 || transfers > 256))
    throw new UsageError(`--transfers must be a whole number from 1 to 256 (got ${JSON.stringify(o.transfers)})`);
  if (o.acceptLoss && !o.to) throw new UsageError("--accept-loss is for one target: name it with --to NAME");
  if (o.acceptLoss && o.scheduled) throw new UsageError("--accept-loss is a person's decision: not with --scheduled");
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "sync", o.to ? `sync:${o.to}` : "sync")) return ExitCode.ok;
  const acceptLoss = o.acceptLoss
    ? await confirmDestructive(env, ctx.config, ctx.log, acceptLossAction(o.to!), o)
    : undefined;
  // Never while a backup writes the repository: the same lock as backup (or --wait for it).
  const r = await reported(
    syncJob(
      ctx,
      { dryRun: o.dryRun, bwlimit: o.bwlimit, transfers, force: o.force, to: o.to, scheduled: o.scheduled, acceptLoss },
      jobHooks(env, ctx, o.wait),
    ),
    (job) => {
      for (const w of job.kitWarnings) env.printer.warn(w);
      // The first target's fields at the top, as with one target before: scripts written for one keep working.
      env.printer.result({ type: "sync", ...job.targets[0], ...job }, () =>
        syncJobLines({ ...job, kitWarnings: [] }, { errors: false }).join("\n"),
      );
      // A target that failed (not one whose copy differs: its lines say so) is an error, with its hint.
      for (const t of job.targets)
        if (t.error && !t.verified)
          env.printer.error(
            job.targets.length > 1 ? `${t.target}: ${t.tamper ? "TAMPER ALARM: " : ""}${t.error}` : t.error,
            t.hint,
            t.exitCode,
          );
    },
  );
  return r.exitCode;
}
