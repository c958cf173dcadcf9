import { acquireRepoLock } from "../state/lock";
import type { ServiceContext } from "./context";

/** Runs fn holding the repository's lock (waiting up to waitMs for another job); always releases it. */
export async function withRepositoryLock<T>(ctx: ServiceContext, o: { waitMs?: number; onWait?: (message: string) => void }, fn: () => Promise<T>): Promise<T> {
  if (o.waitMs) o.onWait?.(`waiting up to ${Math.round(o.waitMs / 1000)} s for the repository lock`);
  const lock = await acquireRepoLock({ stateDir: ctx.config.stateDir, repository: ctx.config.restic.repository, owner: ctx.owner, waitMs: o.waitMs ?? 0, log: ctx.log });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
