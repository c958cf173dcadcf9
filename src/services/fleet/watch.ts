import { createHash } from "node:crypto";
import { errorMessage } from "../../errors";
import { format } from "../../format";
import { notifyRun, requestsFor } from "../../notify/notify";
import type { ServiceContext } from "../run/context";
import { EVENT_TAG } from "./document";
import { readPublished } from "./read";
import { fleetView, type FleetHost } from "./view";

/** Something on another host that needs a person; the key names it once (a new failure is a new key). */
export interface FleetEvent {
  key: string;
  line: string;
}

/** The events of the fleet as this host sees it: every other host silent or unreadable, every stack overdue or failed. */
export function fleetEvents(hosts: FleetHost[], self: string): FleetEvent[] {
  const out: FleetEvent[] = [];
  for (const h of hosts) {
    if (h.host === self) continue;
    if (h.state === "silent" || h.state === "unreadable")
      out.push({
        key: `${h.state} ${h.host} ${h.publishedAt}`,
        line:
          h.state === "silent"
            ? `${h.host}: OVERDUE, has not published its status since ${format.when(h.publishedAt)} (expected within ${format.age(h.publishWithinMs ?? 0)})`
            : `${h.host}: ${h.problem ?? "its status cannot be read"}`,
      });
    for (const s of h.stacks) {
      if (s.state === "overdue")
        out.push({
          key: `overdue ${h.host} ${s.stack} ${s.lastGood ?? "never"}`,
          line: `${h.host} ${s.stack}: OVERDUE, last good backup ${s.lastGood ? format.when(s.lastGood) : "never"}`,
        });
      // A stack both overdue and failing is told both: the failure carries its error.
      if (s.lastStatus === "failed" || s.lastStatus === "interrupted")
        out.push({
          key: `failed ${h.host} ${s.stack} ${s.lastAt}`,
          line: `${h.host} ${s.stack}: FAILED ${s.lastAt ? format.when(s.lastAt) : ""}${s.lastError ? `: ${s.lastError}` : ""}`,
        });
    }
  }
  return out;
}

const eventTag = (key: string) => `event:${createHash("sha256").update(key).digest("hex").slice(0, 24)}`;

/**
 * After a run of a host that publishes its status: tells about what went wrong on the other hosts,
 * once per event for the whole fleet. Each host that sees a new event writes a claim (a tiny
 * snapshot tagged with the event), reads the claims back, and only the first claimant sends the
 * notification; the others remember the event as told. Never throws. Returns the lines it sent.
 */
export async function notifyFleet(ctx: ServiceContext, now = new Date()): Promise<string[]> {
  const c = ctx.config;
  const probe = {
    kind: "fleet",
    status: "failed" as const,
    host: c.hostname,
    exitCode: 1,
    lines: [],
    startedAt: "",
    finishedAt: "",
    announce: "fleet",
  };
  if (!c.fleet.publish || !requestsFor(c, probe).length) return [];
  try {
    const fresh = fleetEvents(fleetView(await readPublished(ctx), now), c.hostname).filter(
      (e) => !ctx.store.fleet.seen(e.key),
    );
    if (!fresh.length) return [];
    const claimsOf = async () => {
      const by = new Map<string, { host: string; time: string }>();
      for (const s of await ctx.restic.snapshots({ tags: [EVENT_TAG] }))
        for (const t of s.tags.filter((x) => x.startsWith("event:"))) {
          const had = by.get(t);
          const first = !had || s.time < had.time || (s.time === had.time && s.hostname < had.host);
          if (first) by.set(t, { host: s.hostname, time: s.time });
        }
      return by;
    };
    const before = await claimsOf();
    const mine = fresh.filter((e) => !before.has(eventTag(e.key)));
    if (mine.length)
      await ctx.restic.backupText({
        filename: "backup-tui-event.json",
        text: JSON.stringify({ host: c.hostname, at: now.toISOString(), events: mine.map((e) => e.key) }),
        host: c.hostname,
        tags: [EVENT_TAG, ...mine.map((e) => eventTag(e.key))],
        timeoutMs: 120_000,
      });
    const after = mine.length ? await claimsOf() : before;
    const won = mine.filter((e) => after.get(eventTag(e.key))?.host === c.hostname);
    ctx.store.fleet.markSeen(
      fresh.map((e) => e.key),
      now.toISOString(),
    );
    if (!won.length) return [];
    const at = new Date().toISOString();
    await notifyRun(c, ctx.log, {
      kind: "fleet check",
      status: "failed",
      host: c.hostname,
      exitCode: 1,
      lines: won.map((e) => e.line),
      startedAt: now.toISOString(),
      finishedAt: at,
      announce: `backup-tui fleet: ${won.length} problem(s) on other hosts, seen by ${c.hostname}`,
    });
    return won.map((e) => e.line);
  } catch (err) {
    ctx.log.warn({ err: errorMessage(err) }, "could not check the other hosts of the fleet");
    return [];
  }
}
