import { eventSink, openContext, type CommandEnv } from "../app";
import { recoverLines } from "../reports/recover";
import { recoverJob } from "../usecases/recover";
import { lockWait, reported } from "./job-hooks";

export async function run(env: CommandEnv, o: { wait?: string }): Promise<number> {
  // Boot and crash recovery must not depend on the run history: without a database, the journal alone.
  const ctx = openContext(env, undefined, { withoutDatabase: true });
  const hooks = { emit: eventSink(env, ctx), signal: env.signal, lock: lockWait(env, o.wait) };
  const { exitCode } = await reported(recoverJob(ctx, hooks), ({ exitCode, ...r }) =>
    env.printer.result({ type: "recover", ...r }, () => recoverLines(r).join("\n")),
  );
  return exitCode;
}
