import { posix } from "node:path";
import { diffEntries, snapshotSide, type DiffSide } from "../snapshots/diff";
import type { StackManifest } from "../snapshots/manifest";

/** One path of a snapshot and where it goes on this host. */
export interface RestoreMapping {
  /** Absolute path as stored in the snapshot. */
  source: string;
  /** Absolute path on this host. */
  live: string;
  /** Set when the path is a named volume's data: found by name wherever Docker keeps it here. */
  volume?: string;
}

export const isManifestPath = (p: string) => /\/staging\/[^/]+\/manifest\.json$/.test(p);
/** The stack's database dumps in a snapshot: restored with `--dump SERVICE` or under --target, never swapped in place. */
export const isDumpsPath = (p: string) => /\/staging\/[^/]+\/dumps$/.test(p);

/**
 * Maps a snapshot's paths to this host: volume data by volume name (its Mountpoint here,
 * which may differ from the old host's), everything else to the same absolute path.
 */
export function mapPaths(
  snapshotPaths: string[],
  manifest: StackManifest | undefined,
  mountpoints: Map<string, string>,
): RestoreMapping[] {
  const byMountpoint = new Map((manifest?.volumes ?? []).map((v) => [v.mountpoint, v.name]));
  return snapshotPaths
    .filter((p) => !isManifestPath(p))
    .map((source) => {
      const volume = byMountpoint.get(source);
      const here = volume ? mountpoints.get(volume) : undefined;
      return { source, live: here ?? source, volume };
    });
}

/** Narrows mappings to one file or folder: given as a snapshot path or as its live path. */
export function narrowToFile(mappings: RestoreMapping[], file: string): RestoreMapping | undefined {
  // Absolute and normalised first: "/srv/app/../../etc/passwd" must not pass as inside /srv/app.
  if (!file.startsWith("/") || file.includes("\0")) return undefined;
  const clean = posix.normalize(file).replace(/\/+$/, "") || "/";
  const under = (root: string) => clean === root || clean.startsWith(`${root}/`);
  for (const m of mappings) {
    if (under(m.source)) return { source: clean, live: m.live + clean.slice(m.source.length), volume: m.volume };
    if (under(m.live)) return { source: m.source + clean.slice(m.live.length), live: clean, volume: m.volume };
  }
  return undefined;
}

export interface DiffSummary {
  added: string[];
  changed: string[];
  removed: string[];
  bytes: number;
}

/** What restoring would change at live, comparing the snapshot listing with the files there now (the one diff engine). */
export function diffTree(
  mapping: RestoreMapping,
  snapshotEntries: Array<{ path: string; type: string; size?: number; mtime?: string }>,
  liveEntries: Map<string, DiffSide>,
): DiffSummary {
  const d = diffEntries(liveEntries, snapshotSide(snapshotEntries, mapping.source, mapping.live));
  const paths = (items: Array<{ path: string }>) => items.map((x) => x.path);
  return { added: paths(d.added), changed: paths(d.changed), removed: paths(d.removed), bytes: d.bytes };
}
