import type { VerifyLevel } from "../../config/types";
import { closeRun, endedWith } from "../run/after-run";
import { ExitCode, errorMessage } from "../../errors";
import type { Restic } from "../../restic/restic";
import { join } from "node:path";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { takesExclusiveLock } from "../fleet/shared";
import { describeCheck, verifyFiles, type FilesCheck } from "./files";

export interface VerifyResult {
  ok: boolean;
  level: string;
  /** subset: the part read ("5%", "3/10"); `next/N` is resolved to the part after the last one read. */
  part?: string;
  detail?: string;
  /** The files level: each stack's newest snapshot restored and compared. */
  files?: FilesCheck[];
}

/** Where the files level restores to: a scratch directory in the state dir unless told otherwise. */
export const scratchDir = (ctx: ServiceContext, dir?: string) => dir ?? join(ctx.config.stateDir, "verify-scratch");

/** `next/N` → the part after the last one read from this repository, so N runs read all of it; else as given. */
export function subsetPart(ctx: ServiceContext, repository: string, subset: string): string {
  const next = /^next\/(\d+)$/.exec(subset);
  return next ? ctx.store.verifications.nextPart(repository, Number(next[1])) : subset;
}

/**
 * Repository verification in the shared vocabulary: metadata (restic check), subset (read a
 * share of the data), data (read all of it), files (metadata, then each stack's newest snapshot
 * restored into scratch space with content verification and compared with its listing). What it
 * found is recorded (the repository, and each stack at the files level) for `status`.
 */
export async function verifyRepository(
  ctx: ServiceContext,
  level: VerifyLevel,
  signal?: AbortSignal,
  o: { subset?: string; restic?: Restic; target?: string; stacks?: string[]; scratch?: string; emit?: EventSink } = {},
): Promise<VerifyResult> {
  const restic = o.restic ?? ctx.restic;
  const repository = o.target ?? ctx.config.restic.repository;
  const part = level === "subset" ? subsetPart(ctx, repository, o.subset ?? ctx.config.verification.subset) : undefined;
  const opts = level === "data" ? { readData: true } : part ? { readDataSubset: part } : {};
  // A shared repository's other hosts never run `restic check` (the prune host's exclusive lock):
  // their files level restores and compares on its own.
  const skipCheck = level === "files" && restic === ctx.restic && !takesExclusiveLock(ctx.config);
  const check = () => (skipCheck ? Promise.resolve({ ok: true, output: "" }) : restic.check({ ...opts, signal }));
  let r = await check();
  if (!r.ok && /locked/i.test(r.output)) r = await check();
  const at = new Date().toISOString();
  const checked: VerifyResult = {
    ok: r.ok,
    level,
    part,
    detail: r.ok ? undefined : r.output.trim().split("\n").slice(-8).join("\n"),
  };
  if (level !== "files" || !r.ok) {
    ctx.store.verifications.record([{ at, repository, level, part, ok: checked.ok, detail: checked.detail }]);
    return checked;
  }
  const files = await verifyFiles(ctx, { stacks: o.stacks, scratch: scratchDir(ctx, o.scratch), signal, emit: o.emit });
  const bad = files.filter((f) => !f.ok);
  const result: VerifyResult = {
    ok: !bad.length,
    level,
    files,
    detail: bad.length ? bad.flatMap(describeCheck).join("\n") : undefined,
  };
  if (!signal?.aborted) {
    ctx.store.verifications.record([
      { at, repository, level, ok: result.ok, detail: result.detail },
      ...files.map((f) => ({
        at,
        repository,
        level,
        stack: f.stack,
        snapshot: f.snapshot,
        ok: f.ok,
        detail: f.ok ? undefined : describeCheck(f).join("\n"),
      })),
    ]);
  }
  return result;
}

/** A recorded verify run (kind verify) around verifyRepository. */
export async function runVerify(
  ctx: ServiceContext,
  level: VerifyLevel,
  o: {
    subset?: string;
    restic?: Restic;
    signal?: AbortSignal;
    target: string;
    stacks?: string[];
    scratch?: string;
    emit?: EventSink;
  },
): Promise<VerifyResult & { runId: number }> {
  const runId = ctx.store.startRun("verify", "manual", ctx.owner);
  const startedAt = new Date().toISOString();
  try {
    const r = await verifyRepository(ctx, level, o.signal, o);
    const lines = [`${o.target} (${level}${r.part ? ` ${r.part}` : ""})`, ...(r.files ?? []).flatMap(describeCheck)];
    await closeRun(ctx, {
      kind: "verify",
      runId,
      startedAt,
      status: r.ok ? "succeeded" : "failed",
      exitCode: r.ok ? ExitCode.ok : ExitCode.failed,
      error: r.ok ? undefined : r.detail,
      summary: { ...r, target: o.target },
      lines,
    });
    return { ...r, runId };
  } catch (err) {
    await closeRun(ctx, {
      kind: "verify",
      runId,
      startedAt,
      ...endedWith(o.signal),
      error: errorMessage(err),
      summary: { level, target: o.target },
      lines: [`${o.target} (${level})`],
    });
    throw err;
  }
}
