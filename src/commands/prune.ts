import { openContext, type CommandEnv } from "../app";
import { confirmDestructive, type GuardOptions } from "./guard";
import { withRepoLock } from "./locked";

export async function run(env: CommandEnv, o: GuardOptions & { wait?: string }): Promise<number> {
  const ctx = openContext(env);
  await confirmDestructive(env, ctx.config, ctx.log, "prune the repository (delete data no snapshot uses)", o);
  return withRepoLock(ctx, env, o.wait, async () => {
    await ctx.restic.prune(env.signal);
    env.printer.result({ type: "prune" }, () => "pruned");
    return 0;
  });
}
