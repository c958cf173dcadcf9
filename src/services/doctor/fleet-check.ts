import type { Config } from "../../config/types";
import { errorMessage } from "../../errors";
import { format } from "../../format";
import { readHistory, readPublished, type FleetSource, type Published } from "../fleet/read";
import { fleetView } from "../fleet/view";
import type { Check } from "./check";

export interface FleetCheckDeps extends FleetSource {
  /** This installation's id (STATE_DIR/host-id), undefined before its first published status. */
  machine?: string;
  now?: Date;
  signal?: AbortSignal;
}

const HINT_NAME = "Give every host its own stable [local_backup] HOSTNAME.";

/**
 * A repository several hosts share ([local_backup] PRUNE_HOST set), as its published statuses
 * show it: every host names the same PRUNE_HOST, that host is alive (while it is away nobody
 * applies retention or prunes), and no other machine publishes under this host's name (the two
 * would forget each other's snapshots). Reads without a lock; a failure to read is a warning.
 */
export async function checkFleet(config: Config, d: FleetCheckDeps): Promise<Check> {
  const pruneHost = config.fleet.pruneHost!;
  const self = config.hostname;
  let published: Published[];
  let own: Published[];
  try {
    [published, own] = await Promise.all([readPublished(d, d.signal), readHistory(d, self, d.signal)]);
  } catch (err) {
    return {
      name: "fleet",
      status: "warn",
      detail: `the hosts' published status could not be read: ${errorMessage(err)}`,
    };
  }
  const now = d.now ?? new Date();
  const problems: Array<{ level: "fail" | "warn"; message: string; hint: string }> = [];

  for (const p of published) {
    const named = p.doc?.pruneHost;
    if (named !== undefined && named !== pruneHost)
      problems.push({
        level: "fail",
        message: `${p.host} names PRUNE_HOST ${named}, this host ${pruneHost}: two hosts would prune, or none`,
        hint: "Set the same [local_backup] PRUNE_HOST on every host of the repository.",
      });
  }

  const pruner = fleetView(
    published.filter((p) => p.host === pruneHost),
    now,
  )[0];
  if (!pruner) {
    const others = published.map((p) => p.host).join(", ") || "none yet";
    problems.push({
      level: "warn",
      message: `PRUNE_HOST ${pruneHost} has never published its status (hosts that have: ${others}): until it runs, nobody applies retention or prunes`,
      hint: "Check the spelling of PRUNE_HOST against that host's HOSTNAME, and that it has run since PRUNE_HOST was set.",
    });
  } else if (pruner.state === "silent") {
    problems.push({
      level: "warn",
      message: `PRUNE_HOST ${pruneHost} last published ${format.age(pruner.silentMs)} ago, past its window: while it is away nobody applies retention or prunes`,
      hint: `Look at ${pruneHost}, or name a host that runs as PRUNE_HOST on every host.`,
    });
  }

  const others = new Set(own.flatMap((p) => (p.doc?.machine && p.doc.machine !== d.machine ? [p.doc.machine] : [])));
  if (others.size) {
    const ours = own.filter((p) => p.doc?.machine === d.machine).map((p) => Date.parse(p.time));
    const theirs = own.filter((p) => p.doc?.machine && p.doc.machine !== d.machine);
    const newest = theirs[theirs.length - 1];
    // Ours all came after theirs: this host took the name over (a new machine after a disaster).
    const interleaved = ours.length > 0 && theirs.some((p) => Date.parse(p.time) > Math.min(...ours));
    if (interleaved)
      problems.push({
        level: "fail",
        message: `another machine publishes as ${self} too (last ${format.age(now.getTime() - Date.parse(newest.time))} ago): retention goes by host name, so each would forget the other's snapshots`,
        hint: HINT_NAME,
      });
    else if (!ours.length)
      problems.push({
        level: "warn",
        message: `${self} was published by another machine (last ${format.age(now.getTime() - Date.parse(newest.time))} ago) and never by this one: fine if this host replaces it, otherwise the two share one name`,
        hint: HINT_NAME,
      });
  }

  const role = self === pruneHost ? "this host prunes" : `${pruneHost} prunes`;
  const summary = `${published.length} host(s) publish into the repository (${published.map((p) => p.host).join(", ") || "none yet"}); ${role}`;
  const worst = problems.some((p) => p.level === "fail") ? "fail" : problems.length ? "warn" : "ok";
  return {
    name: "fleet",
    status: worst,
    detail: problems.length ? [...problems.map((p) => p.message), summary].join("\n") : summary,
    hint: problems.length ? [...new Set(problems.map((p) => p.hint))].join(" ") : undefined,
    data: { hosts: published.map((p) => p.host), pruneHost, problems },
  };
}
