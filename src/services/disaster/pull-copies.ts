import { btui } from "../../command-hint";
import { type SyncTarget, targetWhere } from "../../config/targets";
import { AppError, ExitCode, errorMessage } from "../../errors";
import { moveAside } from "../../fsops/private-files";
import { occupied } from "../../fsops/probe";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { pullRepository } from "../sync/pull";

// Stage 3 for `restore --disaster`: the copy asked for, else every copy in turn until one comes back.

export interface PullCopyRequest {
  /** The copy asked for (`--from`): only it is tried. */
  from?: SyncTarget;
  retryBaseMs?: number;
  stallTimeoutMs?: number;
  signal: AbortSignal;
}

/** A pull from the copy the user chose that failed: the hint names the other copies, with the command that uses one. */
function otherCopies(ctx: ServiceContext, from: SyncTarget | undefined, err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  const used = from?.name ?? "default";
  const others = ctx.config.targets.filter((t) => t.name !== used);
  if (!others.length) return err;
  return new AppError(
    err.message,
    err.exitCode,
    `${err.hint ? `${err.hint} ` : ""}Other copies: ${others.map((t) => `\`${btui(`restore --disaster --from ${t.name}`)}\` (${targetWhere(t)})`).join(", ")}; \`${btui(`verify --remote NAME`)}\` shows whether one is sound first.`,
    { cause: err },
  );
}

/**
 * The copies a recovery tries, in turn: the one asked for, else every target in config order
 * ([cloud_sync] first), those with an active tamper alarm last. No target: [cloud_sync]'s keys.
 */
function pullOrder(ctx: ServiceContext, from: SyncTarget | undefined): Array<SyncTarget | undefined> {
  if (from) return [from];
  const alarmed = new Set(ctx.store.targets.active().map((a) => a.target));
  const all = ctx.config.targets;
  const order = [...all.filter((t) => !alarmed.has(t.name)), ...all.filter((t) => alarmed.has(t.name))];
  return order.length ? order : [undefined];
}

/** A pull that did not come back: what it wrote is moved aside (never deleted) so the next copy starts clean. */
function setAsidePartial(repo: string, from: SyncTarget | undefined): string | undefined {
  if (!occupied(repo)) return undefined;
  const aside = `${repo}.partial-${from?.name ?? "default"}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  moveAside(repo, aside);
  return aside;
}

/**
 * Stage 3 for the recovery: the copy asked for, else each in turn (pullOrder) until one comes
 * back and passes `restic check`; what a failed pull wrote is moved aside for the next.
 */
export async function pullSomeCopy(
  ctx: ServiceContext,
  req: PullCopyRequest,
  repo: string,
  emit: EventSink,
  warn: (message: string) => void,
): Promise<void> {
  const order = pullOrder(ctx, req.from);
  const failures: string[] = [];
  for (const [i, from] of order.entries()) {
    try {
      const r = await pullRepository(
        ctx,
        { path: repo, from, retryBaseMs: req.retryBaseMs, stallTimeoutMs: req.stallTimeoutMs, signal: req.signal },
        emit,
      );
      if (!r.checkOk)
        throw new AppError(
          "the pulled repository fails `restic check`",
          ExitCode.failed,
          `${r.checkOutput ?? ""}\nRepair the cloud copy or pull again; nothing on this host was changed yet.`.trim(),
        );
      const what = r.copied === undefined ? `${r.transfer?.copied ?? 0} file(s)` : `${r.copied} snapshot(s) copied`;
      emit({
        type: "info",
        stack: "disaster",
        message: `pulled ${r.remote}${from ? ` (${from.name})` : ""} (${what}); restic check passed`,
      });
      return;
    } catch (err) {
      if (req.signal.aborted) throw err;
      if (req.from) throw otherCopies(ctx, req.from, err);
      const name = from?.name ?? "default";
      failures.push(`${name}: ${errorMessage(err)}`);
      const next = order[i + 1];
      // A mistake of ours (a usage error: the directory holds something else) is no reason to try another copy.
      if (!next || !(err instanceof AppError) || err.exitCode === ExitCode.usage) {
        if (failures.length === 1) throw err;
        throw new AppError(
          `no copy came back: ${failures.join("; ")}`,
          ExitCode.failed,
          `Nothing on this host was changed yet. Check each copy with \`${btui("verify --remote NAME")}\`, fix the one that should be whole, and run the recovery again.`,
          { cause: err },
        );
      }
      const aside = setAsidePartial(repo, from);
      warn(
        `the copy at ${from ? `${name} (${targetWhere(from)})` : name} did not come back: ${errorMessage(err)}; trying ${next.name} (${targetWhere(next)}), ${i + 2} of ${order.length}${aside ? `; what was pulled is kept at ${aside}` : ""}`,
      );
    }
  }
}
