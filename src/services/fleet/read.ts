import { errorMessage } from "../../errors";
import type { Snapshot } from "../../restic/json";
import type { Restic } from "../../restic/restic";
import type { FleetCache } from "../../state/fleet-cache";
import { parseStatusDocument, STATUS_PATH, STATUS_TAG, type StatusDocument } from "./document";

/** Status documents read from the repository at once (restic processes). */
const READERS = 4;

/** Where status documents come from: the repository, and the documents already read (by snapshot id). */
export interface FleetSource {
  restic: Pick<Restic, "snapshots" | "dump">;
  store: { fleet: Pick<FleetCache, "get" | "put" | "keepOnly"> };
}

/** A cache that lives as long as the process: for a reader that must not write the state store (the doctor). */
export function memoryFleetCache(): FleetSource["store"]["fleet"] {
  const docs = new Map<string, string>();
  return {
    get: (id) => docs.get(id),
    put: (id, _host, text) => void docs.set(id, text),
    keepOnly: () => {},
  };
}

/** One host's newest published status, as read from the repository. */
export interface Published {
  host: string;
  snapshot: string;
  /** The status snapshot's time (restic's). */
  time: string;
  doc?: StatusDocument;
  /** Why its document could not be used (unreadable, not a status, another host's name). */
  problem?: string;
}

/**
 * Every host's newest status snapshot, its document read once per snapshot (the state store keeps
 * them by id: a warm read runs one `restic snapshots` and nothing else). No lock is taken: a
 * read-only key does.
 */
export async function readPublished(ctx: FleetSource, signal?: AbortSignal): Promise<Published[]> {
  const snaps = await ctx.restic.snapshots({ tags: [STATUS_TAG], signal });
  const newest = new Map<string, Snapshot>();
  for (const s of snaps) {
    const had = newest.get(s.hostname);
    if (!had || Date.parse(s.time) > Date.parse(had.time)) newest.set(s.hostname, s);
  }
  const out = await readAll(ctx, [...newest.values()], signal);
  ctx.store.fleet.keepOnly([...newest.values()].map((s) => s.id));
  return out.sort((a, b) => a.host.localeCompare(b.host));
}

/**
 * Every status snapshot one host name has published (the few retention keeps), oldest first: the
 * doctor reads them to see whether two machines publish under one name.
 */
export async function readHistory(ctx: FleetSource, host: string, signal?: AbortSignal): Promise<Published[]> {
  const snaps = await ctx.restic.snapshots({ tags: [STATUS_TAG], host, signal });
  const out = await readAll(ctx, snaps, signal);
  return out.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

async function readAll(ctx: FleetSource, snaps: Snapshot[], signal?: AbortSignal): Promise<Published[]> {
  const queue = [...snaps];
  const out: Published[] = [];
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) out.push(await readOne(ctx, s, signal));
  };
  await Promise.all(Array.from({ length: Math.min(READERS, queue.length) }, worker));
  return out;
}

async function readOne(ctx: FleetSource, s: Snapshot, signal?: AbortSignal): Promise<Published> {
  const base = { host: s.hostname, snapshot: s.id, time: s.time };
  let text = ctx.store.fleet.get(s.id);
  if (text === undefined) {
    try {
      text = await ctx.restic.dump(s.id, STATUS_PATH, signal, { noLock: true });
    } catch (err) {
      if (signal?.aborted) throw err;
      return { ...base, problem: `its status snapshot ${s.id.slice(0, 8)} cannot be read: ${errorMessage(err)}` };
    }
  }
  const doc = parseStatusDocument(text, s.hostname);
  if (!doc) return { ...base, problem: `its status snapshot ${s.id.slice(0, 8)} holds no status of ${s.hostname}` };
  ctx.store.fleet.put(s.id, s.hostname, text);
  return { ...base, doc };
}
