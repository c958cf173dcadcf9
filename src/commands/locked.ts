import type { CommandEnv } from "../app";
import { parseDuration } from "../duration";
import type { ServiceContext } from "../services/context";
import { withRepositoryLock } from "../services/locked";

/** withRepositoryLock for commands: --wait DURATION, the wait announced on stderr. */
export function withRepoLock<T>(ctx: ServiceContext, env: CommandEnv, wait: string | undefined, fn: () => Promise<T>): Promise<T> {
  const waitMs = wait ? parseDuration(wait, "--wait") : 0;
  return withRepositoryLock(ctx, { waitMs, onWait: (m) => env.printer.info(m) }, fn);
}
