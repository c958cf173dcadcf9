import type { SyncTarget } from "../../config/targets";
import type { ServiceContext } from "../run/context";

/** What the tamper alarm found on a target. */
export interface TamperFinding {
  message: string;
  missing: string[];
  shrunk?: { before: number; now: number };
}

/** What a target holds, as the sync saw it. */
export interface TargetObservation {
  snapshots: string[];
  bytes?: number;
  files?: number;
}

/** Placeholder until the tamper memory lands: nothing is remembered, nothing alarms. */
export function checkTamper(
  _ctx: ServiceContext,
  _target: SyncTarget,
  _now: TargetObservation,
  _o: { acceptLoss?: boolean; dryRun?: boolean },
): { alarm?: TamperFinding; accepted?: TamperFinding } {
  return {};
}

export function rememberTarget(_ctx: ServiceContext, _target: SyncTarget, _now: TargetObservation): void {}
