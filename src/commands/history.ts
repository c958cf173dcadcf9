import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { table } from "../output";

export async function run(env: CommandEnv, o: { limit: string }): Promise<number> {
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number (got ${JSON.stringify(o.limit)})`);
  const ctx = openContext(env);
  const runs = ctx.store.recentRuns(limit).map((r) => ({ ...r, stacks: ctx.store.stackResults(r.id) }));
  env.printer.result({ type: "history", runs }, () =>
    runs.length
      ? table(
          ["RUN", "KIND", "STARTED", "STATUS", "EXIT", "STACKS"],
          runs.map((r) => [String(r.id), r.kind, r.startedAt.slice(0, 19).replace("T", " "), r.status, r.exitCode === undefined ? "-" : String(r.exitCode), r.stacks.map((s) => `${s.stack}:${s.status}`).join(" ") || "-"]),
        )
      : "No runs yet.",
  );
  return 0;
}
