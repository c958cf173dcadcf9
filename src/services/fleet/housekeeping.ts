import { forgottenIds } from "../../restic/copies";
import type { ForgetGroup } from "../../restic/json";
import { policyKeepsSomething } from "../retention/policy";
import type { ServiceContext } from "../run/context";
import { EVENT_TAG, STATUS_TAG } from "./document";
import { readPublished } from "./read";

/** Status snapshots kept per host: the newest is what the fleet view reads, the others are history. */
export const STATUS_KEPT = 3;
/** A hot pass's snapshot older than this is a leftover: its run ended long ago (killed, or another host's). */
export const HOT_LEFTOVER_MS = 6 * 3600_000;
/** A fleet event's claim is kept this long (a host that was off that long may tell again). */
export const EVENT_KEPT_MS = 30 * 24 * 3600_000;

/** One other host's stack under the keep policy that host published. */
export interface HostRetention {
  host: string;
  stack: string;
  kept: number;
  removed: string[];
}

/**
 * The prune host's retention of the other hosts of a shared repository: each host's stacks under
 * the keep policy that host published with its status (`--host` that host, so nothing of anyone
 * else's is touched; a host that never published keeps everything, and a policy that keeps
 * nothing is skipped). `protected` snapshots are never forgotten.
 */
export async function otherHostsRetention(
  ctx: ServiceContext,
  o: { dryRun?: boolean; signal?: AbortSignal },
): Promise<HostRetention[]> {
  const out: HostRetention[] = [];
  for (const p of await readPublished(ctx, o.signal)) {
    if (!p.doc || p.host === ctx.config.hostname) continue;
    for (const s of p.doc.stacks) {
      if (!s.keep || !policyKeepsSomething(s.keep)) {
        ctx.log.warn({ host: p.host, stack: s.stack }, "published keep policy keeps nothing: skipped");
        continue;
      }
      const groups: ForgetGroup[] = await ctx.restic.forget({
        tags: ["backup-tui", `stack:${s.stack}`, "kind:stack"],
        host: p.host,
        groupBy: "host",
        keep: s.keep,
        keepTags: ["protected"],
        dryRun: o.dryRun,
        signal: o.signal,
      });
      // Forgotten by this host: a sync target losing them is no tamper (a dry run forgot nothing).
      if (!o.dryRun)
        ctx.store.targets.recordForgotten(forgottenIds(groups.flatMap((g) => g.remove)), new Date().toISOString());
      out.push({
        host: p.host,
        stack: s.stack,
        kept: groups.reduce((n, g) => n + g.keep.length, 0),
        removed: groups.flatMap((g) => g.remove.map((x) => x.id)),
      });
    }
  }
  return out;
}

/**
 * The prune host's housekeeping: every host's status snapshots beyond its newest STATUS_KEPT, and
 * hot passes' snapshots (kind:hot) older than HOT_LEFTOVER_MS — those other hosts cannot forget
 * themselves, and those a killed run left — and fleet event claims older than EVENT_KEPT_MS.
 * Returns the ids forgotten.
 */
export async function fleetHousekeeping(
  ctx: ServiceContext,
  o: { signal?: AbortSignal; now?: Date },
): Promise<string[]> {
  const now = (o.now ?? new Date()).getTime();
  const all = await ctx.restic.snapshots({ signal: o.signal });
  const statusByHost = new Map<string, typeof all>();
  const ids: string[] = [];
  for (const s of all) {
    if (s.tags.includes(STATUS_TAG)) statusByHost.set(s.hostname, [...(statusByHost.get(s.hostname) ?? []), s]);
    else if (s.tags.includes("kind:hot") && now - Date.parse(s.time) > HOT_LEFTOVER_MS) ids.push(s.id);
    else if (s.tags.includes(EVENT_TAG) && now - Date.parse(s.time) > EVENT_KEPT_MS) ids.push(s.id);
  }
  for (const list of statusByHost.values())
    ids.push(
      ...list
        .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
        .slice(STATUS_KEPT)
        .map((s) => s.id),
    );
  if (!ids.length) return [];
  await ctx.restic.forget({ ids, signal: o.signal });
  ctx.store.targets.recordForgotten(ids, new Date().toISOString());
  return ids;
}
