import type { StackManifest } from "../snapshots/manifest";
import type { Inventory } from "../doomsday/inventory";
import { isDumpsPath, mapPaths } from "../restore/plan";

// What a disaster recovery would write that the new host already has: refused without --overwrite.

/** What was on the host before the recovery began (recorded once, in the journal). */
export interface Preexisting {
  networks: string[];
  volumes: string[];
  containers: string[];
  /** Stack directories that existed, not empty (older journals: the only paths recorded). */
  dirs: string[];
  /** Every other live path the stack snapshots would write that existed: EXTRA_PATHS, bind sources... */
  paths?: string[];
}

/**
 * The live paths a stack snapshot's restore writes outside Docker volumes: its stack directory,
 * bind-mount sources and EXTRA_PATHS (the same absolute paths as on the old host). Volume data
 * goes by volume name (checked as volumes); dumps and the manifest never land live.
 */
export function liveHostPaths(snapshotPaths: string[], manifest: StackManifest | undefined): string[] {
  return mapPaths(snapshotPaths, manifest, new Map())
    .filter((m) => !m.volume && !isDumpsPath(m.source))
    .map((m) => m.live);
}

/** Everything of the inventory (and of the stacks' live paths) the host had before: one line each. */
export function recoveryConflicts(
  inv: Pick<Inventory, "networks" | "volumes" | "containers" | "stacks">,
  pre: Preexisting,
  livePaths: string[],
  manifestVolumes: string[] = [],
): string[] {
  const dirs = new Set(inv.stacks.map((s) => s.dir).filter((d): d is string => !!d));
  // The inventory's volumes, and any a stack snapshot's manifest names beside them.
  const volumes = [...new Set([...inv.volumes.map((v) => v.name), ...manifestVolumes])];
  const paths = [...new Set([...pre.dirs, ...(pre.paths ?? [])])].filter((p) => dirs.has(p) || livePaths.includes(p));
  return [
    ...inv.networks.filter((n) => pre.networks.includes(n.name)).map((n) => `network ${n.name}`),
    ...volumes.filter((v) => pre.volumes.includes(v)).map((v) => `volume ${v}`),
    ...inv.containers.filter((c) => pre.containers.includes(c.name)).map((c) => `container ${c.name}`),
    ...paths.sort().map((p) => (dirs.has(p) ? `stack directory ${p}` : `path ${p}`)),
  ];
}
