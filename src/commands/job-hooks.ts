import { type CommandEnv, eventSink } from "../app";
import { parseDuration } from "../duration";
import type { ServiceContext } from "../services/run/context";
import type { LockWait } from "../services/run/repository-lock";
import { LockLostError } from "../state/lock";
import type { JobHooks } from "../usecases/hooks";

/** What a command hands a use case: its events to the printer and the log, its signal, its lock wait. */
export function jobHooks(env: CommandEnv, ctx: ServiceContext, wait: string | number | undefined): JobHooks {
  return { emit: eventSink(env, ctx), signal: env.signal, lock: lockWait(env, wait) };
}

/** A command's lock wait for a job: --wait DURATION (or waitMs parsed already), the wait announced on stderr, a lost lock aborting the run. */
export function lockWait(env: CommandEnv, wait: string | number | undefined): LockWait {
  const waitMs = typeof wait === "number" ? wait : wait ? parseDuration(wait, "--wait") : 0;
  return { waitMs, onWait: (m) => env.printer.info(m), onLost: lockLost(env) };
}

/** A lost repository lock stops this command as SIGTERM does (env.signal), then it exits with LockLostError. */
export function lockLost(env: CommandEnv): (err: Error) => void {
  return (err) => {
    env.printer.warn("the repository lock was lost: stopping, restarting what this run stopped");
    env.abort(err);
  };
}

/**
 * The job's report printed, also when the lock was lost while it ran: the run finished (stopped
 * early, what it had stopped restarted), its report says what it did, then the lost lock's error
 * ends the command (exit 1, or 4).
 */
export async function reported<T>(job: Promise<T>, print: (report: T) => void): Promise<T> {
  try {
    const report = await job;
    print(report);
    return report;
  } catch (err) {
    if (err instanceof LockLostError && err.result !== undefined) print(err.result as T);
    throw err;
  }
}
