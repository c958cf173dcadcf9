import { btui } from "../command-hint";
import { eventSink, openContext, type CommandEnv } from "../app";
import type { VerifyLevel } from "../config/types";
import { isSubsetSpec } from "../config/keys";
import { ExitCode, UsageError } from "../errors";
import { redact } from "../exec/redact";
import { verifyLines, verifyStartLine } from "../reports/verify";
import { verifyJob, verifyTarget } from "../usecases/verify";
import { lockWait } from "./job-hooks";
import { startScheduled } from "./scheduled";

export async function run(
  env: CommandEnv,
  o: {
    level: VerifyLevel;
    subset?: string;
    remote?: boolean | string;
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
  if (o.scheduled && !startScheduled(env, ctx, "verify", "verify", { exclusive: o.level !== "files" && !o.remote }))
    return ExitCode.ok;
  env.printer.info(
    verifyStartLine(redact(verifyTarget(ctx, o.remote)), o.level, o.subset ?? ctx.config.verification.subset),
  );
  const r = await verifyJob(
    ctx,
    { level: o.level, subset: o.subset, remote: o.remote, stacks: o.stack, scratch: o.scratch },
    // The cloud copy is not written by our jobs: no lock (and no --wait) for it.
    { emit: eventSink(env, ctx), signal: env.signal, lock: o.remote ? undefined : lockWait(env, o.wait) },
  );
  // A rest: or s3: URL may carry its credentials: shown masked.
  const shown = { ...r, target: redact(r.target) };
  env.printer.result({ type: "verify", ...shown }, () => verifyLines(shown).join("\n"));
  return r.ok ? ExitCode.ok : ExitCode.failed;
}
