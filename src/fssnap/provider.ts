/**
 * Filesystem snapshots for the snapshot strategy. A provider knows one kind of filesystem
 * (btrfs here; LVM thin or ZFS could follow): where a path lives, which unit one snapshot
 * captures (a btrfs subvolume), and how to make and delete a read-only snapshot of it.
 */

/** One filesystem holding a stack's data: what the free-space check reads. */
export interface FsInfo {
  /** Identifies the filesystem (btrfs: its device number). */
  id: string;
  /** The device or pool, for messages (/dev/loop0). */
  source: string;
  /** Where it is mounted (the mount holding the path). */
  mountPoint: string;
  freeBytes: number;
  totalBytes: number;
}

/** The unit one snapshot captures atomically: every path inside it is frozen at the same instant. */
export interface SnapshotUnit {
  provider: string;
  /** Equal for two paths in the same unit. */
  key: string;
  /** The unit's path inside its filesystem ("/" for btrfs's top level). */
  path: string;
  /** The unit's root as this process reaches it: the snapshot's source. */
  source: string;
  /** The directory this unit's snapshots are made in (created when missing; same filesystem). */
  snapshotDir: string;
  fs: FsInfo;
}

export interface Located {
  unit: SnapshotUnit;
  /** The path relative to the unit's root ("" for the root itself). */
  rel: string;
}

export interface Unsupported {
  unsupported: string;
}

export interface FsSnapshotProvider {
  readonly name: string;
  /** Where an absolute path lives, or why this provider cannot snapshot it (another filesystem, no root, read-only). */
  locate(path: string): Located | Unsupported;
  /**
   * Units nested below the given paths (relative to the unit's root) that a snapshot of the unit
   * would show empty (btrfs: subvolumes inside the subvolume), as filesystem paths.
   */
  nestedUnits(unit: SnapshotUnit, rels: string[], signal?: AbortSignal): Promise<string[]>;
  /** A read-only snapshot of the unit at dest (dest does not exist yet). */
  create(unit: SnapshotUnit, dest: string, signal?: AbortSignal): Promise<void>;
  /** Deletes a snapshot this provider made; a missing one is not an error. */
  remove(dest: string): Promise<void>;
  exists(dest: string): boolean;
}

export const isUnsupported = (x: Located | Unsupported): x is Unsupported => "unsupported" in x;
