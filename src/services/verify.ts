import type { VerifyLevel } from "../config/types";
import { ExitCode, errorMessage } from "../errors";
import type { Restic } from "../restic/restic";
import type { ServiceContext } from "./context";

export interface VerifyResult {
  ok: boolean;
  level: string;
  detail?: string;
}

/**
 * Repository verification in the shared vocabulary: metadata (restic check), subset (read a
 * share of the data), data (read all of it). The files level (restore and compare) builds on this.
 */
export async function verifyRepository(ctx: ServiceContext, level: VerifyLevel, signal?: AbortSignal, o: { subset?: string; restic?: Restic } = {}): Promise<VerifyResult> {
  const restic = o.restic ?? ctx.restic;
  const opts = level === "data" ? { readData: true } : level === "subset" || level === "files" ? { readDataSubset: o.subset ?? "5%" } : {};
  let r = await restic.check({ ...opts, signal });
  if (!r.ok && /locked/i.test(r.output)) r = await restic.check({ ...opts, signal });
  return { ok: r.ok, level, detail: r.ok ? undefined : r.output.trim().split("\n").slice(-8).join("\n") };
}

/** A recorded verify run (kind verify) around verifyRepository. */
export async function runVerify(ctx: ServiceContext, level: VerifyLevel, o: { subset?: string; restic?: Restic; signal?: AbortSignal; target: string }): Promise<VerifyResult & { runId: number }> {
  const runId = ctx.store.startRun("verify", "manual", ctx.owner);
  try {
    const r = await verifyRepository(ctx, level, o.signal, o);
    ctx.store.finishRun(runId, r.ok ? "succeeded" : "failed", r.ok ? ExitCode.ok : ExitCode.failed, r.ok ? undefined : r.detail, { ...r, target: o.target });
    return { ...r, runId };
  } catch (err) {
    ctx.store.finishRun(runId, o.signal?.aborted ? "interrupted" : "failed", ExitCode.failed, errorMessage(err), { level, target: o.target });
    throw err;
  }
}
