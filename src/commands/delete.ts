import { openContext, type CommandEnv } from "../app";
import { deleteLines } from "../reports/retention";
import { deleteAction, deleteJob, snapshotsToDelete } from "../usecases/retention";
import { confirmDestructive, type GuardOptions } from "./guard";
import { lockWait } from "./job-hooks";

export async function run(
  env: CommandEnv,
  refs: string[],
  o: GuardOptions & { prune?: boolean; wait?: string },
): Promise<number> {
  const ctx = openContext(env);
  const snaps = await snapshotsToDelete(ctx, refs, env.signal);
  const confirmation = await confirmDestructive(env, ctx.config, ctx.log, deleteAction(snaps), o);
  const r = await deleteJob(
    ctx,
    { snapshots: snaps, prune: o.prune, confirmation },
    { signal: env.signal, lock: lockWait(env, o.wait) },
  );
  env.printer.result({ type: "delete", ids: r.ids, pruned: r.pruned }, () =>
    deleteLines(
      snaps.map((s) => s.shortId),
      r.pruned,
    ).join("\n"),
  );
  return 0;
}
