import { openContext, type CommandEnv } from "../app";

export async function run(env: CommandEnv, o: { removeAll?: boolean }): Promise<number> {
  const ctx = openContext(env);
  await ctx.restic.unlock({ removeAll: o.removeAll, signal: env.signal });
  env.printer.result({ type: "unlock", removeAll: !!o.removeAll }, () => (o.removeAll ? "removed every restic lock" : "removed stale restic locks"));
  return 0;
}
