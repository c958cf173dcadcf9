import { type SyncMode, targetWhere } from "../../config/targets";
import type { RunRow } from "../../state/store";
import type { ServiceContext } from "../run/context";

/** One sync target as `status` shows it: where it is, its last sync, its last good one, its alarm. */
export interface CopyStatusRow {
  target: string;
  mode: SyncMode;
  where: string;
  /** The newest sync run to it (any outcome). */
  last?: Pick<RunRow, "id" | "status" | "startedAt" | "exitCode" | "error">;
  /** When the last good sync to it ended, and how many snapshots it then held (this host's reference). */
  lastGood?: { at: string; snapshots: number };
  /** Its tamper alarm is active: syncs to it stop until `--accept-loss`. */
  alarm: boolean;
  /** The last immutability probe of this place (`doctor`): can this host destroy the copy? */
  probe?: { verdict: string; at: string; detail: string };
}

/** Every configured sync target with its last sync, from local state only. */
export function copyRows(ctx: ServiceContext): CopyStatusRow[] {
  const alarmed = new Set(ctx.store.targets.active().map((a) => a.target));
  return ctx.config.targets.map((t) => {
    const where = targetWhere(t);
    const run = ctx.store.runs({ kind: "sync", stack: t.name, limit: 1 })[0];
    const seen = ctx.store.targets.seen(t.name);
    // The reference of another place (the target was moved) says nothing about this one.
    const good = seen && (!seen.location || seen.location === where) ? seen : undefined;
    const probe = ctx.store.targets.probe(t.name);
    return {
      target: t.name,
      mode: t.mode,
      where,
      last: run && {
        id: run.id,
        status: run.status,
        startedAt: run.startedAt,
        exitCode: run.exitCode,
        error: run.error,
      },
      lastGood: good && { at: good.at, snapshots: good.ids.size },
      alarm: alarmed.has(t.name),
      ...(probe && probe.location === where
        ? { probe: { verdict: probe.verdict, at: probe.at, detail: probe.detail } }
        : {}),
    };
  });
}
