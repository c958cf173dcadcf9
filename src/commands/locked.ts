import type { CommandEnv } from "../app";
import { parseDuration } from "../duration";
import type { ServiceContext } from "../services/context";
import { acquireRepoLock } from "../state/lock";

/** Runs fn holding the repository's lock (waiting up to --wait); always releases it. */
export async function withRepoLock<T>(ctx: ServiceContext, env: CommandEnv, wait: string | undefined, fn: () => Promise<T>): Promise<T> {
  const waitMs = wait ? parseDuration(wait, "--wait") : 0;
  if (waitMs) env.printer.info(`waiting up to ${wait} for the repository lock`);
  const lock = await acquireRepoLock({ stateDir: ctx.config.stateDir, repository: ctx.config.restic.repository, owner: ctx.owner, waitMs, log: ctx.log });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
