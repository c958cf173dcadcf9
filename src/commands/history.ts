import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { format, table } from "../output";
import type { RunKind } from "../state/store";
import { parseWhen } from "./snapshots";

const KINDS: RunKind[] = ["backup", "sync", "restore", "verify", "prune", "recover"];

/** Past runs, newest first: what ran, who started it (by hand or which schedule), how it ended. */
export async function run(env: CommandEnv, o: { limit: string; stack?: string; since?: string; kind?: string }): Promise<number> {
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number (got ${JSON.stringify(o.limit)})`);
  if (o.kind && !KINDS.includes(o.kind as RunKind)) throw new UsageError(`--kind ${JSON.stringify(o.kind)}: use one of ${KINDS.join(", ")}`);
  const since = o.since ? parseWhen(o.since, "--since") : undefined;
  const ctx = openContext(env);
  const runs = ctx.store.runs({ limit, stack: o.stack, since, kind: o.kind as RunKind | undefined }).map((r) => ({ ...r, stacks: ctx.store.stackResults(r.id) }));
  env.printer.result({ type: "history", runs }, () =>
    runs.length
      ? table(
          ["RUN", "KIND", "STARTED", "BY", "STATUS", "EXIT", "STACKS / NOTE"],
          runs.map((r) => [
            String(r.id),
            r.kind,
            format.when(r.startedAt),
            r.job ? `schedule ${r.job}` : r.trigger,
            r.status,
            r.exitCode === undefined ? "-" : String(r.exitCode),
            r.stacks.map((s) => `${s.stack}:${s.status}${s.downtimeMs ? ` (down ${format.ms(s.downtimeMs)})` : ""}`).join(" ") || (r.error?.split("\n")[0].slice(0, 60) ?? "-"),
          ]),
        )
      : "No runs yet.",
  );
  return 0;
}
