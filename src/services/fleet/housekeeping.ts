import { forgottenIds } from "../../restic/copies";
import type { KeepPolicy } from "../../config/types";
import type { ForgetGroup, Snapshot } from "../../restic/json";
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

/** One other host's stack (or single volume: "vol:NAME") under the keep policy that host published. */
export interface HostRetention {
  host: string;
  stack: string;
  kept: number;
  removed: string[];
}

/**
 * The prune host's retention of the other hosts of a shared repository: each host's stacks, and
 * its single-volume snapshots volume by volume, under the keep policies that host published with
 * its status (`--host` that host, so nothing of anyone else's is touched; a host that never
 * published keeps everything, and a policy that keeps nothing is skipped). `protected` snapshots
 * are never forgotten.
 */
export async function otherHostsRetention(
  ctx: ServiceContext,
  o: { dryRun?: boolean; signal?: AbortSignal },
): Promise<HostRetention[]> {
  const out: HostRetention[] = [];
  const apply = async (host: string, name: string, tags: string[], keep: KeepPolicy | undefined) => {
    if (!keep || !policyKeepsSomething(keep)) {
      ctx.log.warn({ host, stack: name }, "published keep policy keeps nothing: skipped");
      return;
    }
    const groups: ForgetGroup[] = await ctx.restic.forget({
      tags: ["backup-tui", ...tags],
      host,
      groupBy: "host",
      keep,
      keepTags: ["protected"],
      dryRun: o.dryRun,
      signal: o.signal,
    });
    // Forgotten by this host: a sync target losing them is no tamper (a dry run forgot nothing).
    if (!o.dryRun)
      ctx.store.targets.recordForgotten(forgottenIds(groups.flatMap((g) => g.remove)), new Date().toISOString());
    out.push({
      host,
      stack: name,
      kept: groups.reduce((n, g) => n + g.keep.length, 0),
      removed: groups.flatMap((g) => g.remove.map((x) => x.id)),
    });
  };
  const others = (await readPublished(ctx, o.signal)).filter((p) => p.doc && p.host !== ctx.config.hostname);
  // Which volumes each host backed up alone: one listing, only when some host publishes their policy.
  const volumes = others.some((p) => p.doc?.volumeKeep)
    ? volumesByHost(await ctx.restic.snapshots({ tags: ["backup-tui", "kind:volume"], signal: o.signal }))
    : new Map<string, string[]>();
  for (const p of others) {
    for (const s of p.doc!.stacks) await apply(p.host, s.stack, [`stack:${s.stack}`, "kind:stack"], s.keep);
    if (!p.doc!.volumeKeep) continue; // published before volume policies were: keeps them all
    for (const v of volumes.get(p.host) ?? [])
      await apply(p.host, `vol:${v}`, [`vol:${v}`, "kind:volume"], p.doc!.volumeKeep);
  }
  return out;
}

/** host → the volumes its single-volume snapshots hold (their `vol:` tags), sorted. */
function volumesByHost(snapshots: Snapshot[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const s of snapshots)
    for (const t of s.tags ?? [])
      if (t.startsWith("vol:")) sets.set(s.hostname, (sets.get(s.hostname) ?? new Set()).add(t.slice(4)));
  return new Map([...sets].map(([h, v]) => [h, [...v].sort()]));
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
