import type { Config, VerifyLevel } from "../config/types";
import type { ServiceContext } from "../services/run/context";
import { withRunLock } from "../services/run/repository-lock";
import { namedTarget, targetRepository } from "../services/sync/target-repository";
import { runVerify, type VerifyResult } from "../services/verify/verify";
import type { JobHooks } from "./hooks";

export interface VerifyJobRequest {
  /** Default: verifyLevel(config), the level the VERIFY schedule runs (VERIFICATION_DEPTH). */
  level?: VerifyLevel;
  /** The subset level's share (default VERIFICATION_SUBSET). */
  subset?: string;
  /** A copy itself (true: [cloud_sync]'s; or a target by name), through restic's rclone backend or the restic target (not with the files level). */
  remote?: boolean | string;
  stacks?: string[];
  scratch?: string;
}

export type VerifyJobReport = VerifyResult & { runId: number; target: string; level: VerifyLevel };

/** The level a verify runs at when none is asked for: the configured VERIFICATION_DEPTH. */
export function verifyLevel(config: Config, requested?: VerifyLevel): VerifyLevel {
  return requested ?? config.verification.depth;
}

/** What a verify reads: the local repository, or a copy as restic names it (credentials masked when shown). */
export function verifyTarget(ctx: ServiceContext, remote?: boolean | string): string {
  return remote
    ? targetRepository(namedTarget(ctx.config, remote, "--remote")).repository
    : ctx.config.restic.repository;
}

/**
 * `backup-tui verify`, the TUI's verify: a recorded verify run. The local repository is checked
 * under the repository lock (it must not change under the check); the cloud copy, which our
 * jobs do not write, without it.
 */
export async function verifyJob(ctx: ServiceContext, req: VerifyJobRequest, hooks: JobHooks): Promise<VerifyJobReport> {
  const level = verifyLevel(ctx.config, req.level);
  const target = verifyTarget(ctx, req.remote);
  const restic = req.remote
    ? ctx.resticFor(target, targetRepository(namedTarget(ctx.config, req.remote, "--remote")).password)
    : undefined;
  const verify = (signal: AbortSignal) =>
    runVerify(ctx, level, {
      subset: req.subset,
      restic,
      signal,
      target,
      stacks: req.stacks,
      scratch: req.scratch,
      emit: hooks.emit,
    });
  const r = req.remote ? await verify(hooks.signal) : await withRunLock(ctx, hooks.signal, hooks.lock ?? {}, verify);
  return { ...r, target, level };
}
