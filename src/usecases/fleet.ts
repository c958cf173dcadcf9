import type { ServiceContext } from "../services/run/context";
import { readPublished } from "../services/fleet/read";
import { fleetView, type FleetHost } from "../services/fleet/view";

export interface FleetReport {
  repository: string;
  /** The host asking (a viewer's config may name none but its own). */
  viewer: string;
  now: string;
  hosts: FleetHost[];
}

/**
 * `status --fleet` and the TUI's Fleet screen: every host that publishes its status into this
 * repository, worst first, as of `now`. Reads the repository without a lock (a read-only key
 * does) and needs no Docker.
 */
export async function fleetStatus(
  ctx: ServiceContext,
  o: { now?: Date; signal?: AbortSignal } = {},
): Promise<FleetReport> {
  const published = await readPublished(ctx, o.signal);
  const now = o.now ?? new Date();
  return {
    repository: ctx.config.restic.repository,
    viewer: ctx.config.hostname,
    now: now.toISOString(),
    hosts: fleetView(published, now),
  };
}

/** 1 when a host is silent past its window, unreadable, or has a stack overdue or failing; else 0. */
export function fleetExitCode(r: FleetReport): number {
  return r.hosts.some((h) => ["failed", "overdue", "silent", "unreadable"].includes(h.state)) ? 1 : 0;
}
