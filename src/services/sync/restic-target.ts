// MODE=restic: the target is a second restic repository with its own password, filled by
// `restic copy` of every local snapshot it lacks. Only adds: works against an append-only server.
import { type SyncTarget, targetWhere } from "../../config/targets";
import { AppError, ExitCode, ToolError } from "../../errors";
import { redact } from "../../exec/redact";
import { copyOf, lackingCopies, persistentId } from "../../restic/copies";
import type { Restic } from "../../restic/restic";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";

export interface ResticTargetRequest {
  /** Report what is missing there; create and copy nothing. */
  dryRun?: boolean;
  signal: AbortSignal;
  /** For the copy itself (default: restic's 24 h). */
  timeoutMs?: number;
}

export interface ResticTargetResult {
  /** The target repository was created by this run (with the local chunker parameters). */
  created: boolean;
  /** Each local snapshot copied (full ids): its id and that of its copy in the target. */
  copied: Array<{ source: string; copy?: string }>;
  /** Dry run: the local snapshots the target lacks (full ids). */
  missing: string[];
  /** The snapshot ids in the target after the run. */
  targetSnapshots: string[];
  /** The same snapshots by the ids of their originals (restic's `original`): the tamper reference. */
  targetOriginals: string[];
}

/** Copies every local snapshot the target repository lacks into it; creates it when there is none yet. */
export async function copyToResticTarget(
  ctx: ServiceContext,
  target: SyncTarget,
  req: ResticTargetRequest,
  emit: EventSink,
): Promise<ResticTargetResult> {
  const where = targetWhere(target);
  if (target.mode !== "restic" || !target.repository || !target.password)
    throw new AppError(`sync target ${target.name} is no restic repository (MODE=${target.mode})`, ExitCode.config);
  const dest = ctx.resticFor(target.repository, target.password);
  const { signal } = req;
  const guarded = <T>(step: string, p: Promise<T>) =>
    p.catch((err) => Promise.reject(targetFailure(target, step, err)));

  emit({ type: "phase", stack: "*", phase: "connect", detail: where });
  const state = await guarded("opening it", dest.probe(signal));
  const local = await ctx.restic.snapshots({ signal });
  if (state === "missing" && req.dryRun) {
    emit({
      type: "info",
      message: `${where} has no repository yet: a sync creates it and copies ${local.length} snapshots`,
    });
    return { created: false, copied: [], missing: local.map((s) => s.id), targetSnapshots: [], targetOriginals: [] };
  }
  let created = false;
  if (state === "missing") {
    emit({ type: "info", message: `creating the restic repository ${where} with the local chunker parameters` });
    await guarded("creating it", dest.initFrom(ctx.restic, signal));
    created = true;
  }
  emit({ type: "phase", stack: "*", phase: "check-remote", detail: where });
  const before = created ? [] : await guarded("listing its snapshots", dest.snapshots({ signal }));
  const lacking = lackingCopies(local, before);
  if (req.dryRun) {
    emit({ type: "info", message: `${lacking.length} of ${local.length} local snapshots are not in ${where}` });
    return {
      created,
      copied: [],
      missing: lacking.map((s) => s.id),
      targetSnapshots: before.map((s) => s.id),
      targetOriginals: originalsOf(before),
    };
  }
  if (lacking.length) await copy(dest, ctx.restic, lacking, { ...req, where, target, emit });
  emit({ type: "phase", stack: "*", phase: "compare", detail: where });
  const after = lacking.length ? await guarded("listing its snapshots", dest.snapshots({ signal })) : before;
  const copied = lacking.map((s) => ({ source: s.id, copy: copyOf(s, after)?.id }));
  const absent = copied.filter((c) => !c.copy).map((c) => c.source.slice(0, 8));
  if (absent.length)
    throw new AppError(
      `sync target ${target.name} (${where}): restic copy finished, but ${absent.length} snapshots have no copy there: ${absent.join(", ")}`,
      ExitCode.failed,
      "Run the sync again; `restic copy` skips what is already there.",
    );
  return { created, copied, missing: [], targetSnapshots: after.map((s) => s.id), targetOriginals: originalsOf(after) };
}

const originalsOf = (snaps: Array<{ id: string; original?: string }>) => [...new Set(snaps.map(persistentId))];

async function copy(
  dest: Restic,
  source: Restic,
  lacking: Array<{ id: string }>,
  o: ResticTargetRequest & { where: string; target: SyncTarget; emit: EventSink },
): Promise<void> {
  o.emit({ type: "phase", stack: "*", phase: "transfer", detail: `${lacking.length} snapshots → ${o.where}` });
  let started = 0;
  await dest
    .copyFrom(source, {
      ids: lacking.map((s) => s.id),
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      onLine: (l) => {
        if (l.kind === "start")
          o.emit({ type: "info", message: `copying snapshot ${l.source} (${++started} of ${lacking.length})` });
        else if (l.kind === "copied")
          o.emit({ type: "info", message: `snapshot ${l.source} copied to ${o.where} as ${l.copy}` });
      },
    })
    .catch((err) => Promise.reject(targetFailure(o.target, "copying the snapshots", err)));
}

/** A failure against the target, named by target and location, never by its credentials. */
export function targetFailure(target: SyncTarget, step: string, err: unknown): unknown {
  if (err instanceof ToolError && err.reason === "aborted") return err;
  if (!(err instanceof AppError)) return err;
  const where = targetWhere(target);
  const kind = (err as { kind?: string }).kind;
  const name = `sync target ${target.name} (${where})`;
  const keys = `RESTIC_PASSWORD_FILE / RESTIC_PASSWORD_COMMAND in [${target.section}]`;
  if (kind === "wrong-password" && step === "opening it")
    return new AppError(
      `${name}: the repository there does not open with its password; nothing was written to it`,
      ExitCode.failed,
      `Check ${keys}: it must be that repository's password (it is never created over an existing one).`,
      { cause: err },
    );
  if (kind === "password-source")
    return new AppError(
      `${name}: its password could not be read; nothing was written to it`,
      ExitCode.config,
      `Fix ${keys}.`,
      { cause: err },
    );
  const message = redact(err.message.split(target.repository ?? "\0").join(where));
  const hint = err.hint && redact(err.hint.split(target.repository ?? "\0").join(where));
  return new AppError(`${name}: ${step} failed: ${message}`, err.exitCode, hint, { cause: err });
}
