import type { VerifyLevel } from "../config/types";
import { closeRun } from "./after-run";
import { ExitCode, errorMessage } from "../errors";
import type { Restic } from "../restic/restic";
import { join } from "node:path";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import { describeCheck, verifyFiles, type FilesCheck } from "./verify-files";

export interface VerifyResult {
  ok: boolean;
  level: string;
  detail?: string;
  /** The files level: each stack's newest snapshot restored and compared. */
  files?: FilesCheck[];
}

/** Where the files level restores to: a scratch directory in the state dir unless told otherwise. */
export const scratchDir = (ctx: ServiceContext, dir?: string) => dir ?? join(ctx.config.stateDir, "verify-scratch");

/**
 * Repository verification in the shared vocabulary: metadata (restic check), subset (read a
 * share of the data), data (read all of it), files (metadata, then each stack's newest snapshot
 * restored into scratch space with content verification and compared with its listing).
 */
export async function verifyRepository(ctx: ServiceContext, level: VerifyLevel, signal?: AbortSignal, o: { subset?: string; restic?: Restic; stacks?: string[]; scratch?: string; emit?: EventSink } = {}): Promise<VerifyResult> {
  const restic = o.restic ?? ctx.restic;
  const opts = level === "data" ? { readData: true } : level === "subset" ? { readDataSubset: o.subset ?? "5%" } : {};
  let r = await restic.check({ ...opts, signal });
  if (!r.ok && /locked/i.test(r.output)) r = await restic.check({ ...opts, signal });
  const checked: VerifyResult = { ok: r.ok, level, detail: r.ok ? undefined : r.output.trim().split("\n").slice(-8).join("\n") };
  if (level !== "files" || !r.ok) return checked;
  const files = await verifyFiles(ctx, { stacks: o.stacks, scratch: scratchDir(ctx, o.scratch), signal, emit: o.emit });
  const bad = files.filter((f) => !f.ok);
  return { ok: !bad.length, level, files, detail: bad.length ? bad.flatMap(describeCheck).join("\n") : undefined };
}

/** A recorded verify run (kind verify) around verifyRepository. */
export async function runVerify(ctx: ServiceContext, level: VerifyLevel, o: { subset?: string; restic?: Restic; signal?: AbortSignal; target: string; stacks?: string[]; scratch?: string; emit?: EventSink }): Promise<VerifyResult & { runId: number }> {
  const runId = ctx.store.startRun("verify", "manual", ctx.owner);
  const startedAt = new Date().toISOString();
  try {
    const r = await verifyRepository(ctx, level, o.signal, o);
    const lines = [`${o.target} (${level})`, ...(r.files ?? []).flatMap(describeCheck)];
    await closeRun(ctx, { kind: "verify", runId, startedAt, status: r.ok ? "succeeded" : "failed", exitCode: r.ok ? ExitCode.ok : ExitCode.failed, error: r.ok ? undefined : r.detail, summary: { ...r, target: o.target }, lines });
    return { ...r, runId };
  } catch (err) {
    await closeRun(ctx, { kind: "verify", runId, startedAt, status: o.signal?.aborted ? "interrupted" : "failed", exitCode: ExitCode.failed, error: errorMessage(err), summary: { level, target: o.target }, lines: [`${o.target} (${level})`] });
    throw err;
  }
}
