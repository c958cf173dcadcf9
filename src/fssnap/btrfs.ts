import { existsSync, mkdirSync, realpathSync, rmdirSync, statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Runner } from "../exec/runner";
import { isUnder, joinAbs, mountOf, readMountinfo, relativeTo, type MountEntry } from "./mountinfo";
import type { FsSnapshotProvider, Located, SnapshotUnit, Unsupported } from "./provider";

/** Every btrfs subvolume's root directory has this inode number (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INO = 256;
export const SNAPSHOT_DIR_NAME = ".backup-tui-snapshots";

export interface BtrfsOptions {
  /** Tests: another mount table or user. */
  mounts?: () => MountEntry[];
  euid?: () => number;
}

/**
 * btrfs: one read-only snapshot per subvolume captures every path inside it at one instant.
 * A path is located through /proc/self/mountinfo (so a Docker volume whose Mountpoint is a
 * bind of a btrfs subvolume is found), its subvolume by walking up to the directory with inode
 * 256. Snapshots go into `.backup-tui-snapshots` beside the subvolume (in its parent
 * directory), reached through any mount of the same filesystem that shows that parent.
 */
export class BtrfsProvider implements FsSnapshotProvider {
  readonly name = "btrfs";
  private readonly mounts: () => MountEntry[];
  private readonly euid: () => number;

  constructor(
    private readonly runner: Runner,
    o: BtrfsOptions = {},
  ) {
    this.mounts = o.mounts ?? readMountinfo;
    this.euid = o.euid ?? (() => process.geteuid?.() ?? 0);
  }

  locate(path: string): Located | Unsupported {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return { unsupported: `${path} does not exist` };
    }
    const mounts = this.mounts();
    const m = mountOf(real, mounts);
    if (!m) return { unsupported: `${path}: no mount found for it in /proc/self/mountinfo` };
    if (m.fsType !== "btrfs")
      return { unsupported: `${path} is on ${m.fsType} (mounted at ${m.mountPoint}), not btrfs` };
    if (this.euid() !== 0) return { unsupported: `${path} is on btrfs, but snapshots and private mounts need root` };
    const fsPath = (p: string, on: MountEntry) => joinAbs(on.root, relativeTo(p, on.mountPoint));
    const sameFs = mounts.filter((x) => x.dev === m.dev && x.fsType === "btrfs");

    // The innermost subvolume holding the path: walk up inside this mount to a subvolume root...
    let source: string | undefined;
    let subvolume: string | undefined;
    for (let d = statSync(real).isDirectory() ? real : dirname(real); isUnder(d, m.mountPoint); d = dirname(d)) {
      if (inode(d) === SUBVOLUME_ROOT_INO) {
        source = d;
        subvolume = fsPath(d, m);
        break;
      }
      if (d === m.mountPoint || d === "/") break;
    }
    // ...or, when the mount shows only a directory inside a subvolume, the mount's subvol=.
    subvolume ??= m.superOptions.find((o) => o.startsWith("subvol="))?.slice("subvol=".length) ?? "/";
    // Snapshot through the mount nearest the top level that shows the subvolume whole: a Docker
    // volume's own bind mount goes away when its containers stop (SNAPSHOT_FREEZE=stop).
    const walked = source ? statSync(source).dev : undefined;
    for (const n of [...sameFs].sort((a, b) => a.root.length - b.root.length)) {
      if (!isUnder(subvolume, n.root)) continue;
      const candidate = joinAbs(n.mountPoint, relativeTo(subvolume, n.root));
      const st = statOf(candidate);
      if (st?.ino === SUBVOLUME_ROOT_INO && (walked === undefined || st.dev === walked)) {
        source = candidate;
        break;
      }
    }
    if (!source)
      return {
        unsupported: `${path} lies inside btrfs subvolume ${subvolume} of ${m.source}, which no mount shows whole: mount the filesystem's top level (subvolid=5) somewhere`,
      };
    // Snapshots go beside the subvolume (the top level's inside it), through a writable mount showing that directory.
    const parent = subvolume === "/" ? "/" : dirname(subvolume);
    const holder = sameFs
      .filter(
        (n) =>
          isUnder(parent, n.root) &&
          !n.options.includes("ro") &&
          inode(joinAbs(n.mountPoint, relativeTo(parent, n.root))) !== undefined,
      )
      .sort((a, b) => a.root.length - b.root.length)[0];
    if (!holder) {
      return {
        unsupported: `no writable mount of ${m.source} shows ${parent}, the directory the snapshot of subvolume ${subvolume} would go in: mount the filesystem's top level (subvolid=5) somewhere`,
      };
    }
    const snapshotDir = joinAbs(joinAbs(holder.mountPoint, relativeTo(parent, holder.root)), SNAPSHOT_DIR_NAME);
    const s = statfsSync(source!);
    const unit: SnapshotUnit = {
      provider: this.name,
      key: `btrfs:${m.dev}:${subvolume}`,
      path: subvolume,
      source: source!,
      snapshotDir,
      fs: {
        id: `btrfs:${m.dev}`,
        source: m.source,
        mountPoint: holder.mountPoint,
        freeBytes: s.bavail * s.bsize,
        totalBytes: s.blocks * s.bsize,
      },
    };
    return { unit, rel: relativeTo(fsPath(real, m), subvolume) };
  }

  async nestedUnits(unit: SnapshotUnit, rels: string[], signal?: AbortSignal): Promise<string[]> {
    // Subvolumes directly below this one, as paths from the top level ("sv/d/nested"; older btrfs-progs prefix <FS_TREE>/).
    const r = await this.runner.run("btrfs", ["subvolume", "list", "-o", unit.source], { timeoutMs: 60_000, signal });
    const nested = r.stdout
      .split("\n")
      .map((l) => / path (.+)$/.exec(l)?.[1])
      .filter((p): p is string => !!p)
      .map((p) => `/${p.replace(/^<FS_TREE>\//, "")}`);
    const roots = rels.map((rel) => joinAbs(unit.path, rel));
    return nested.filter(
      (n) => roots.some((root) => isUnder(n, root) && n !== root) && !n.split("/").includes(SNAPSHOT_DIR_NAME),
    );
  }

  async create(unit: SnapshotUnit, dest: string, signal?: AbortSignal): Promise<void> {
    mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
    await this.runner.run("btrfs", ["subvolume", "snapshot", "-r", unit.source, dest], { timeoutMs: 120_000, signal });
  }

  async remove(dest: string): Promise<void> {
    if (!this.exists(dest)) return;
    await this.runner.run("btrfs", ["subvolume", "delete", dest], { timeoutMs: 300_000 });
    try {
      rmdirSync(dirname(dest)); // only when empty: other runs' snapshots stay
    } catch {
      // not empty, or gone
    }
  }

  exists(dest: string): boolean {
    return existsSync(dest);
  }
}

function statOf(path: string): { ino: number; dev: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const inode = (path: string) => statOf(path)?.ino;
