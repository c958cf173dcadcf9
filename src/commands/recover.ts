import { eventSink, openContext, type CommandEnv } from "../app";
import { ExitCode } from "../errors";
import { recoverStopped } from "../services/recover";
import { withRepoLock } from "./locked";

export async function run(env: CommandEnv, o: { wait?: string }): Promise<number> {
  const ctx = openContext(env);
  return withRepoLock(ctx, env, o.wait, async () => {
    const interrupted = ctx.store.markDeadRunsInterrupted(ctx.owner.host);
    const r = await recoverStopped(ctx, eventSink(env, ctx));
    env.printer.result({ type: "recover", interruptedRuns: interrupted, ...r }, () => {
      const lines = [r.recovered.length ? `restarted: ${r.recovered.join(", ")}` : "nothing to recover"];
      for (const f of r.failed) lines.push(`NOT running: ${f.name} (${f.stack}): ${f.reason}`);
      if (r.live) lines.push(`${r.live} entr${r.live === 1 ? "y" : "ies"} belong to a run that is still alive: left alone`);
      return lines.join("\n");
    });
    return r.failed.length ? ExitCode.serviceDown : ExitCode.ok;
  });
}
