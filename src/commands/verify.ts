import { openContext, type CommandEnv } from "../app";
import type { VerifyLevel } from "../config/types";
import { ExitCode, UsageError } from "../errors";
import { remotePath } from "../services/sync";
import { runVerify } from "../services/verify";
import { withRepoLock } from "./locked";

export async function run(env: CommandEnv, o: { level: VerifyLevel; subset: string; remote?: boolean; scheduled?: boolean; wait?: string }): Promise<number> {
  if (!/^(\d+(\.\d+)?%|\d+\/\d+)$/.test(o.subset)) throw new UsageError(`--subset ${JSON.stringify(o.subset)}: use a share such as 5% or n/N such as 1/10`);
  const ctx = openContext(env);
  if (o.scheduled) ctx.store.setScheduledJob("verify");
  const target = o.remote ? `rclone:${remotePath(ctx)}` : ctx.config.restic.repository;
  const restic = o.remote ? ctx.resticFor(target) : undefined;
  env.printer.info(`verifying ${target} (${o.level}${o.level === "subset" ? ` ${o.subset}` : ""})`);
  const verify = () => runVerify(ctx, o.level, { subset: o.subset, restic, signal: env.signal, target });
  // The cloud copy is not written by our jobs; the local repository must not change under the check.
  const r = o.remote ? await verify() : await withRepoLock(ctx, env, o.wait, verify);
  env.printer.result({ type: "verify", target, ...r }, () => (r.ok ? `verified ${target}: ${o.level} OK` : `VERIFICATION FAILED for ${target} (${o.level}):\n${r.detail ?? ""}`));
  return r.ok ? ExitCode.ok : ExitCode.failed;
}
