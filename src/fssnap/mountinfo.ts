import { readFileSync } from "node:fs";

/** One line of /proc/self/mountinfo. */
export interface MountEntry {
  /** major:minor of the filesystem. */
  dev: string;
  /** The directory of the filesystem that is mounted here ("/sv" for a bind of a subvolume). */
  root: string;
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \\ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const [left, right] = line.split(" - ");
    if (right === undefined) continue;
    const f = left.split(" ");
    const r = right.split(" ");
    out.push({
      dev: f[2],
      root: unescape(f[3]),
      mountPoint: unescape(f[4]),
      options: (f[5] ?? "").split(","),
      fsType: r[0],
      source: unescape(r[1] ?? ""),
      superOptions: (r[2] ?? "").split(","),
    });
  }
  return out;
}

export const readMountinfo = (): MountEntry[] => parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));

export const isUnder = (path: string, dir: string) => dir === "/" || path === dir || path.startsWith(`${dir}/`);

/** The mount a path is on: the longest mount point above it; the last one mounted wins. */
export function mountOf(path: string, mounts: MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!isUnder(path, m.mountPoint)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/** `child` relative to `dir` ("" when equal); both absolute, child under dir. */
export function relativeTo(child: string, dir: string): string {
  if (child === dir) return "";
  return dir === "/" ? child.slice(1) : child.slice(dir.length + 1);
}

export const joinAbs = (dir: string, rel: string) => (rel ? (dir === "/" ? `/${rel}` : `${dir}/${rel}`) : dir);

/**
 * When `path` is itself a bind mount of a directory that another mount of the same filesystem
 * shows (a Docker local-driver volume made with `o=bind,device=DIR`), that directory as this
 * process reaches it. Such a volume is unmounted by Docker when its last container stops.
 * `undefined` for a plain directory; `null` for a mount whose origin no other mount shows (NFS, CIFS...).
 */
export function bindOrigin(path: string, mounts: MountEntry[]): string | null | undefined {
  const own = mountOf(path, mounts);
  if (!own || own.mountPoint !== path) return undefined;
  const holder = mounts
    .filter((n) => n !== own && n.dev === own.dev && isUnder(own.root, n.root) && !isUnder(n.mountPoint, path))
    .sort((a, b) => a.root.length - b.root.length)[0];
  return holder ? joinAbs(holder.mountPoint, relativeTo(own.root, holder.root)) : null;
}
