import { btui } from "../command-hint";
import { eventSink, openContext, type CommandEnv } from "../app";
import type { VerifyLevel } from "../config/types";
import { isSubsetSpec } from "../config/keys";
import { ExitCode, UsageError } from "../errors";
import { remotePath } from "../services/sync/sync";
import { runVerify } from "../services/verify/verify";
import { describeCheck } from "../services/verify/files";
import { withRepoLock } from "./locked";
import { startScheduled } from "./scheduled";

export async function run(
  env: CommandEnv,
  o: {
    level: VerifyLevel;
    subset?: string;
    remote?: boolean;
    stack?: string[];
    scratch?: string;
    scheduled?: boolean;
    wait?: string;
  },
): Promise<number> {
  if (o.subset !== undefined && !isSubsetSpec(o.subset)) {
    throw new UsageError(
      `--subset ${JSON.stringify(o.subset.slice(0, 40))}: use a share above 0 and at most 100%, such as 5%, n/N with 1 <= n <= N, such as 1/10, or next/N (the part after the last one read), such as next/12`,
    );
  }
  if (o.level === "files" && o.remote)
    throw new UsageError(
      "--level files restores from the local repository; --remote takes metadata, subset or data",
      `Pull the cloud copy first (\`${btui("restore PATH")}\`) to verify its files.`,
    );
  if ((o.stack?.length || o.scratch) && o.level !== "files")
    throw new UsageError("--stack and --scratch go with --level files");
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "verify", "verify")) return ExitCode.ok;
  const target = o.remote ? `rclone:${remotePath(ctx)}` : ctx.config.restic.repository;
  const restic = o.remote ? ctx.resticFor(target) : undefined;
  env.printer.info(
    `verifying ${target} (${o.level}${o.level === "subset" ? ` ${o.subset ?? ctx.config.verification.subset}` : ""})`,
  );
  const verify = () =>
    runVerify(ctx, o.level, {
      subset: o.subset,
      restic,
      signal: env.signal,
      target,
      stacks: o.stack,
      scratch: o.scratch,
      emit: eventSink(env, ctx),
    });
  // The cloud copy is not written by our jobs; the local repository must not change under the check.
  const r = o.remote ? await verify() : await withRepoLock(ctx, env, o.wait, verify);
  env.printer.result({ type: "verify", target, ...r }, () =>
    [
      r.ok
        ? `verified ${target}: ${o.level}${r.part ? ` ${r.part}` : ""} OK`
        : `VERIFICATION FAILED for ${target} (${o.level}${r.part ? ` ${r.part}` : ""}):\n${r.detail ?? ""}`,
      ...(r.ok ? (r.files ?? []).flatMap(describeCheck) : []),
    ].join("\n"),
  );
  return r.ok ? ExitCode.ok : ExitCode.failed;
}
