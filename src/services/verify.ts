import type { VerifyLevel } from "../config/types";
import { closeRun } from "./after-run";
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
  const startedAt = new Date().toISOString();
  const lines = [`${o.target} (${level})`];
  try {
    const r = await verifyRepository(ctx, level, o.signal, o);
    await closeRun(ctx, { kind: "verify", runId, startedAt, status: r.ok ? "succeeded" : "failed", exitCode: r.ok ? ExitCode.ok : ExitCode.failed, error: r.ok ? undefined : r.detail, summary: { ...r, target: o.target }, lines });
    return { ...r, runId };
  } catch (err) {
    await closeRun(ctx, { kind: "verify", runId, startedAt, status: o.signal?.aborted ? "interrupted" : "failed", exitCode: ExitCode.failed, error: errorMessage(err), summary: { level, target: o.target }, lines });
    throw err;
  }
}
