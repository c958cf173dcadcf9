import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { disasterLines } from "../reports/disaster";
import { disasterAction, disasterJob, type DisasterJobRequest } from "../usecases/disaster";
import { confirmDestructive } from "./guard";
import { jobHooks, reported } from "./job-hooks";

interface Options {
  stack?: string;
  volume?: string;
  file?: string;
  target?: string;
  dryRun?: boolean;
  dump?: string;
  host?: string;
  overwrite?: boolean;
  from?: string;
  yes?: boolean;
  confirmPasswordFile?: string;
  wait?: string;
}

/** `restore --disaster`: bare-metal recovery from the cloud copy (headless). */
export async function runDisaster(env: CommandEnv, path: string | undefined, o: Options): Promise<number> {
  if (path || o.stack || o.volume || o.file || o.target || o.dryRun || o.dump) {
    throw new UsageError(
      "--disaster recovers the whole host: it takes no PATH, --stack, --volume, --file, --target, --dump or --dry-run",
      "The repository goes to RESTIC_REPOSITORY; pick the old host's snapshots with --host NAME.",
    );
  }
  const ctx = openContext(env);
  const req: DisasterJobRequest = { host: o.host, overwrite: o.overwrite, from: o.from };
  req.confirmation = await confirmDestructive(env, ctx.config, ctx.log, disasterAction(ctx.config, req), o);
  const r = await reported(disasterJob(ctx, req, jobHooks(env, ctx, o.wait)), (r) =>
    env.printer.result({ type: "disaster", ...r }, () => disasterLines(r).join("\n")),
  );
  return r.exitCode;
}
