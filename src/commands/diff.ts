import { openContext, type CommandEnv } from "../app";
import { diffLines } from "../reports/diff";
import { diffJob } from "../usecases/diff";

/** `diff SNAP [SNAP2|--live]`: added, removed and changed paths with sizes, per volume and path. */
export async function run(
  env: CommandEnv,
  from: string,
  to: string | undefined,
  o: { live?: boolean; stack?: string; host?: string },
): Promise<number> {
  const ctx = openContext(env);
  const report = await diffJob(ctx, { from, to, live: o.live, stack: o.stack, host: o.host }, { signal: env.signal });
  env.printer.result({ type: "diff", ...report }, () => diffLines(report).join("\n"));
  return 0;
}
