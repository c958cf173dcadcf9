// Stage 3 from a MODE=restic target: that repository has its own password and its own snapshot
// ids, so it is not copied file by file: a new local repository is created with its chunker
// parameters and every snapshot is `restic copy`-ed into it (only reads there: works against an
// append-only server or a read-only key). Run again after an interruption, restic copy skips
// what is already there.
import { type SyncTarget, targetWhere } from "../../config/targets";
import { AppError, ExitCode } from "../../errors";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { targetFailure } from "./restic-target";

/** Copies every snapshot of the restic target into the repository at `path` (created when missing); the number copied. */
export async function pullResticTarget(
  ctx: ServiceContext,
  target: SyncTarget,
  path: string,
  signal: AbortSignal,
  emit: EventSink,
): Promise<number> {
  const where = targetWhere(target);
  if (!target.repository || !target.password)
    throw new AppError(`sync target ${target.name} names no restic repository`, ExitCode.config);
  const source = ctx.resticFor(target.repository, target.password);
  const dest = ctx.resticFor(path);
  emit({ type: "phase", stack: "*", phase: "connect", detail: where });
  const guarded = <T>(step: string, p: Promise<T>) =>
    p.catch((err) => Promise.reject(targetFailure(target, step, err)));
  const snapshots = await guarded("opening it", source.snapshots({ signal }));
  if (!snapshots.length)
    throw new AppError(
      `${where} (sync target ${target.name}) holds no snapshots`,
      ExitCode.failed,
      `Check RESTIC_REPOSITORY in [${target.section}], or restore from another copy (\`--from NAME\`).`,
    );
  if ((await dest.probe(signal)) === "missing") {
    emit({ type: "info", message: `creating the repository ${path} with the chunker parameters of ${where}` });
    await guarded("creating the local repository from it", dest.initFrom(source, signal));
  }
  emit({ type: "phase", stack: "*", phase: "transfer", detail: `${snapshots.length} snapshots ${where} → ${path}` });
  let started = 0;
  const r = await guarded(
    "copying its snapshots",
    dest.copyFrom(source, {
      signal,
      onLine: (l) => {
        if (l.kind === "start")
          emit({ type: "info", message: `copying snapshot ${l.source} (${++started} of ${snapshots.length})` });
      },
    }),
  );
  return r.copied.length;
}
