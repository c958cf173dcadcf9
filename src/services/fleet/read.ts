import { errorMessage } from "../../errors";
import type { Snapshot } from "../../restic/json";
import type { ServiceContext } from "../run/context";
import { parseStatusDocument, STATUS_PATH, STATUS_TAG, type StatusDocument } from "./document";

/** Status documents read from the repository at once (restic processes). */
const READERS = 4;

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
export async function readPublished(ctx: ServiceContext, signal?: AbortSignal): Promise<Published[]> {
  const snaps = await ctx.restic.snapshots({ tags: [STATUS_TAG], signal });
  const newest = new Map<string, Snapshot>();
  for (const s of snaps) {
    const had = newest.get(s.hostname);
    if (!had || Date.parse(s.time) > Date.parse(had.time)) newest.set(s.hostname, s);
  }
  const queue = [...newest.values()];
  const out: Published[] = [];
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) out.push(await readOne(ctx, s, signal));
  };
  await Promise.all(Array.from({ length: Math.min(READERS, queue.length) }, worker));
  ctx.store.fleet.keepOnly([...newest.values()].map((s) => s.id));
  return out.sort((a, b) => a.host.localeCompare(b.host));
}

async function readOne(ctx: ServiceContext, s: Snapshot, signal?: AbortSignal): Promise<Published> {
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
