import { resolve } from "node:path";
import type { ServiceContext } from "../services/run/context";
import { withRunLock } from "../services/run/repository-lock";
import { pullRepository, type PullReport } from "../services/sync/pull";
import { namedTarget } from "../services/sync/target-repository";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";
import type { JobHooks } from "./hooks";

/**
 * Stage 3 (`restore [PATH] [--from TARGET]`): the repository pulled back from the cloud (or the
 * sync target named) into `path` (default: the configured local repository), then checked. The lock is the one of the repository written to.
 */
export function pullJob(
  ctx: ServiceContext,
  req: { path?: string; force?: boolean; from?: string },
  hooks: JobHooks,
): Promise<PullReport> {
  const target = req.path ? resolve(req.path) : undefined;
  const lockCtx = target
    ? { ...ctx, config: { ...ctx.config, restic: { ...ctx.config.restic, repository: target } } }
    : ctx;
  return withRunLock(lockCtx, hooks.signal, hooks.lock ?? {}, (signal) =>
    pullRepository(
      ctx,
      {
        path: target,
        force: req.force,
        from: req.from === undefined ? undefined : namedTarget(ctx.config, req.from, "--from"),
        retryBaseMs: retryBase(),
        stallTimeoutMs: stallTimeout(),
        signal,
      },
      hooks.emit,
    ),
  );
}
