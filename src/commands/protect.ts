import { openContext, type CommandEnv } from "../app";
import { protectLines } from "../reports/retention";
import { resolveSnapshot } from "../services/snapshots/catalog";
import { protectJob } from "../usecases/retention";
import { lockWait } from "./job-hooks";

/** protect / unprotect: the `protected` tag, which retention and delete respect. */
export function tagCommand(add: boolean) {
  return async (env: CommandEnv, ref: string, o: { wait?: string }): Promise<number> => {
    const ctx = openContext(env);
    const snap = await resolveSnapshot(ctx, ref, {}, env.signal);
    const r = await protectJob(
      ctx,
      { snapshot: snap, protect: add },
      { signal: env.signal, lock: lockWait(env, o.wait) },
    );
    env.printer.result({ type: add ? "protect" : "unprotect", was: snap.id, id: r.now?.id }, () =>
      protectLines(r).join("\n"),
    );
    return 0;
  };
}

export const run = tagCommand(true);
