import { openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { format, table } from "../output";
import type { ServiceContext } from "../services/run/context";
import { knownStacks, unknownStack } from "../services/stacks/known";
import type { RunKind } from "../state/store";
import { parseWhen } from "./snapshots";

const KINDS: RunKind[] = ["backup", "sync", "restore", "verify", "prune", "recover"];

/** Past runs, newest first: what ran, who started it (by hand or which schedule), how it ended. */
export async function run(
  env: CommandEnv,
  o: { limit: string; stack?: string; since?: string; kind?: string },
): Promise<number> {
  const limit = Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number (got ${JSON.stringify(o.limit)})`);
  if (o.kind && !KINDS.includes(o.kind as RunKind))
    throw new UsageError(`--kind ${JSON.stringify(o.kind)}: use one of ${KINDS.join(", ")}`);
  const since = o.since ? parseWhen(o.since, "--since") : undefined;
  const ctx = openContext(env);
  const runs = ctx.store
    .runs({ limit, stack: o.stack, since, kind: o.kind as RunKind | undefined })
    .map((r) => ({ ...r, stacks: ctx.store.stackResults(r.id) }));
  if (o.stack && !runs.length) await assertKnownStack(ctx, o.stack);
  env.printer.result({ type: "history", runs }, () =>
    runs.length
      ? table(
          ["RUN", "KIND", "STARTED", "BY", "STATUS", "EXIT", "STACKS / NOTE"],
          runs.map((r) => [
            String(r.id),
            r.kind,
            format.when(r.startedAt),
            format.startedBy(r),
            r.status,
            r.exitCode === undefined ? "-" : String(r.exitCode),
            r.stacks
              .map((s) => `${s.stack}:${s.status}${s.downtimeMs ? ` (down ${format.ms(s.downtimeMs)})` : ""}`)
              .join(" ") ||
              [r.stack, r.error?.split("\n")[0].slice(0, 60)].filter(Boolean).join(": ") ||
              "-",
          ]),
        )
      : o.stack
        ? `No runs of ${o.stack} yet${o.kind || since ? " (with these filters)" : ""}.`
        : "No runs yet.",
  );
  return 0;
}

/** A --stack no run ever named and no discovery finds is a typo: say so, with the names there are. */
async function assertKnownStack(ctx: ServiceContext, stack: string): Promise<void> {
  const recorded = ctx.store.stackNames();
  if (recorded.includes(stack)) return;
  const found = await knownStacks(ctx);
  if (found.names.includes(stack)) return;
  throw unknownStack(stack, { ...found, names: [...new Set([...found.names, ...recorded])].sort() });
}
