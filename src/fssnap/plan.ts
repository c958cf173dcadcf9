import { join } from "node:path";
import { joinAbs } from "./mountinfo";
import { isUnsupported, type FsInfo, type FsSnapshotProvider, type SnapshotUnit } from "./provider";

export interface PlannedSnapshot {
  provider: string;
  unit: SnapshotUnit;
  /** Where the read-only snapshot is made. */
  dest: string;
  /** The planned paths inside the unit, relative to its root. */
  rels: string[];
}

/** The snapshots that capture a set of paths, and where each path is found inside them. */
export interface SnapshotPlan {
  snapshots: PlannedSnapshot[];
  /** Each original path and its copy in a snapshot; parents before the paths inside them. */
  binds: Array<{ original: string; copy: string }>;
  filesystems: FsInfo[];
}

/**
 * One snapshot per unit (btrfs subvolume) holding any of the paths, named after `id`.
 * `reasons` when some path cannot be snapshotted by any provider: then none is planned.
 */
export function planSnapshots(
  providers: FsSnapshotProvider[],
  paths: string[],
  id: string,
): { plan: SnapshotPlan } | { reasons: string[] } {
  const reasons: string[] = [];
  const units = new Map<string, PlannedSnapshot>();
  const binds: SnapshotPlan["binds"] = [];
  const tag = id.replace(/[^A-Za-z0-9_.-]/g, "_");
  if (!providers.length) return { reasons: ["no filesystem snapshot provider is available"] };
  for (const path of paths) {
    const tried = providers.map((p) => ({ p, r: p.locate(path) }));
    const hit = tried.find((t) => !isUnsupported(t.r));
    if (!hit) {
      const first = tried[0].r;
      reasons.push(isUnsupported(first) ? first.unsupported : path);
      continue;
    }
    const located = hit.r as Exclude<typeof hit.r, { unsupported: string }>;
    let snap = units.get(located.unit.key);
    if (!snap) {
      snap = {
        provider: hit.p.name,
        unit: located.unit,
        dest: join(located.unit.snapshotDir, `${tag}-${units.size}`),
        rels: [],
      };
      units.set(located.unit.key, snap);
    }
    snap.rels.push(located.rel);
    binds.push({ original: path, copy: joinAbs(snap.dest, located.rel) });
  }
  if (reasons.length) return { reasons };
  const filesystems = [...new Map([...units.values()].map((u) => [u.unit.fs.id, u.unit.fs])).values()];
  binds.sort((a, b) => a.original.length - b.original.length);
  return { plan: { snapshots: [...units.values()], binds, filesystems } };
}

/**
 * The argv that runs a command in a private mount namespace where each original path shows its
 * snapshot copy (bind mounts, gone when the command ends; nothing reaches the host's mounts).
 * The command's argv follows; paths only, no secrets.
 */
export function namespaceLauncher(binds: SnapshotPlan["binds"]): string[] {
  const script =
    'n=$1; shift; while [ "$n" -gt 0 ]; do mount --bind "$1" "$2" || exit 125; shift 2; n=$((n-1)); done; exec "$@"';
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
    "backup-tui-ns",
    String(binds.length),
    ...binds.flatMap((b) => [b.copy, b.original]),
  ];
}

/** Private mount namespaces and bind mounts need root. */
export const privateMountsAllowed = (): boolean => (process.geteuid?.() ?? 0) === 0;
