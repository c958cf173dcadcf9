import type { StackStatus } from "./document";
import type { Published } from "./read";

/** How bad a host or a stack is, worst last: the fleet view sorts by it. */
export const SEVERITY = ["ok", "unscheduled", "partial", "failed", "overdue", "silent", "unreadable"] as const;
export type Severity = (typeof SEVERITY)[number];
const rank = (s: Severity) => SEVERITY.indexOf(s);

export interface FleetStack {
  stack: string;
  state: Severity;
  lastGood?: string;
  ageMs?: number;
  lastStatus?: string;
  /** When the newest attempt started. */
  lastAt?: string;
  lastError?: string;
  downtimeMs?: number;
  next?: string;
  verified?: { at: string; ok: boolean };
}

export interface FleetHost {
  host: string;
  /** The worst of its own state (silent, unreadable) and its stacks'. */
  state: Severity;
  /** Its newest status snapshot, and when it was published. */
  snapshot: string;
  publishedAt: string;
  /** How long ago it published, and within how long it promised to publish again. */
  silentMs: number;
  publishWithinMs?: number;
  version?: string;
  warnings: number;
  problem?: string;
  stacks: FleetStack[];
}

/**
 * The fleet as of `now`, worst host first and each host's worst stack first. A host that has not
 * published within its own window (its shortest schedule's allowance) is `silent`: whatever it
 * said last is stale. A stack is overdue once its last good backup is older than its allowance,
 * counted at `now`, not when the host published (a host that stopped cannot say so itself).
 */
export function fleetView(published: Published[], now: Date): FleetHost[] {
  const hosts = published.map((p): FleetHost => {
    const publishedAt = p.doc?.publishedAt ?? p.time;
    const silentMs = now.getTime() - Date.parse(publishedAt);
    const stacks = (p.doc?.stacks ?? []).map((s) => fleetStack(s, now)).sort(worstFirst);
    const own: Severity = !p.doc
      ? "unreadable"
      : p.doc.publishWithinMs !== undefined && silentMs > p.doc.publishWithinMs
        ? "silent"
        : "ok";
    const state = [own, ...stacks.map((s) => s.state)].reduce((a, b) => (rank(b) > rank(a) ? b : a), "ok");
    return {
      host: p.host,
      state,
      snapshot: p.snapshot,
      publishedAt,
      silentMs,
      publishWithinMs: p.doc?.publishWithinMs,
      version: p.doc?.version,
      warnings: p.doc?.warnings ?? 0,
      problem: p.problem,
      stacks,
    };
  });
  return hosts.sort((a, b) => rank(b.state) - rank(a.state) || a.host.localeCompare(b.host));
}

function fleetStack(s: StackStatus, now: Date): FleetStack {
  const ageMs = s.lastGood ? now.getTime() - Date.parse(s.lastGood.at) : undefined;
  const overdue =
    s.thresholdMs !== undefined && (ageMs !== undefined ? ageMs > s.thresholdMs : s.last !== undefined || s.overdue);
  const failed = s.last?.status === "failed" || s.last?.status === "interrupted";
  const state: Severity = overdue
    ? "overdue"
    : failed
      ? "failed"
      : s.last?.status === "partial"
        ? "partial"
        : s.thresholdMs === undefined
          ? "unscheduled"
          : "ok";
  return {
    stack: s.stack,
    state,
    lastGood: s.lastGood?.at,
    ageMs,
    lastStatus: s.last?.status,
    lastAt: s.last?.at,
    lastError: s.last?.error,
    downtimeMs: s.lastGood?.downtimeMs,
    next: s.next,
    verified: s.verified && { at: s.verified.at, ok: s.verified.ok },
  };
}

const worstFirst = (a: FleetStack, b: FleetStack) => rank(b.state) - rank(a.state) || a.stack.localeCompare(b.stack);

/** A state as the fleet view prints it. */
export const stateWord = (s: Severity): string =>
  ({
    ok: "ok",
    unscheduled: "not scheduled",
    partial: "partial",
    failed: "FAILED",
    overdue: "OVERDUE",
    silent: "OVERDUE (silent)",
    unreadable: "UNREADABLE",
  })[s];
