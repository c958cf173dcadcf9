import { join, resolve } from "node:path";
import { discoverStacks, scanStacksDir } from "../../docker/discovery";
import { UsageError } from "../../errors";
import { canonicalPath, deviceOf, identity, isInside, linkDestination, prefixes } from "../../fsops/identity";
import { listDir, statOrUndefined } from "../../fsops/probe";
import { lstatTree } from "../../fsops/tree";
import type { ServiceContext } from "../run/context";
import type { RestoreMapping } from "./plan";

const SYSTEM = ["/proc", "/sys", "/dev"];
const HINT =
  "Restore under an empty directory elsewhere (`--target /root/restored`), or in place (without --target: guarded, with a safety snapshot).";

/**
 * Every live path on this host that a restore under a directory must never land on: each stack's
 * directory, volumes and bind sources, every Docker volume, every EXTRA_PATHS and the repository,
 * plus the restore's own live paths. "/" itself is left out (a container that
 * mounts the whole host would forbid everything); a target that is "/" is refused on its own.
 */
export async function hostLivePaths(ctx: ServiceContext, own: string[]): Promise<string[]> {
  const paths = new Set(own);
  const stacksDir = ctx.config.docker.stacksDir;
  try {
    for (const s of await discoverStacks(ctx.docker, stacksDir)) {
      if (s.dir) paths.add(s.dir);
      for (const v of s.volumes) paths.add(v.mountpoint);
      for (const c of s.containers) for (const m of c.mounts) if (m.source) paths.add(m.source);
    }
    for (const v of await ctx.docker.listVolumes()) paths.add(v.mountpoint);
  } catch {
    // Docker does not answer: its volumes cannot be listed, so none of its data may be a target.
    for (const d of scanStacksDir(stacksDir)) paths.add(d.dir);
    paths.add("/var/lib/docker");
  }
  for (const st of Object.values(ctx.config.stacks)) for (const p of st?.extraPaths ?? []) paths.add(p);
  if (ctx.config.restic.repository.startsWith("/")) paths.add(ctx.config.restic.repository);
  return [...paths].filter((p) => p.startsWith("/") && resolve(p) !== "/");
}

/**
 * --target restores beside the live data, never over it. Compared by identity (device and inode
 * of every existing component), so no alias passes: `/proc/self/root`, `/proc/PID/root`, a symlink
 * or a bind mount of a live directory. /proc, /sys and /dev are refused outright. The target must
 * be empty or missing; with `force` it may hold files, but none of them may lead elsewhere (a
 * symlink out of it, a mount point, a hard link) and it still never lands on a live path.
 * Returns the target as restic must be given it (absolute).
 */
export async function assertTargetApart(
  ctx: ServiceContext,
  target: string,
  mappings: RestoreMapping[],
  o: { force?: boolean } = {},
): Promise<string> {
  const root = resolve(target);
  const refuse = (why: string) => new UsageError(`--target ${target} ${why}`, HINT);
  const system = new Map(SYSTEM.map((p) => [deviceOf(p), p]));
  for (const p of [root, canonicalPath(root)]) {
    const sys = SYSTEM.find((s) => isInside(p, s));
    if (sys) throw refuse(`is inside ${sys}: a restore never writes there`);
  }
  const rootId = identity("/");
  if (identity(root) === rootId)
    throw refuse("is the host's / (or another name for it): it would restore over the live data");
  const live = await hostLivePaths(
    ctx,
    mappings.map((m) => m.live),
  );
  const liveIds = new Map<string, string>();
  const aboveLive = new Map<string, string>();
  for (const p of live) {
    const id = identity(p);
    if (!id) continue;
    liveIds.set(id, p);
    for (const q of prefixes(p).slice(1, -1)) {
      const qid = identity(q);
      if (qid && !aboveLive.has(qid)) aboveLive.set(qid, p);
    }
  }
  /** Each existing component of a path the restore writes at or under. */
  const checkComponents = (path: string) => {
    for (const q of prefixes(path).slice(1)) {
      const id = identity(q);
      if (!id) return;
      if (id === rootId)
        throw refuse(`reaches ${q}, the host's / under another name: it would restore over the live data`);
      const sys = system.get(deviceOf(q));
      if (sys) throw refuse(`leads into ${sys} (${q}): a restore never writes there`);
      const hit = liveIds.get(id);
      if (hit)
        throw refuse(
          `${q === hit ? "is" : `reaches ${q}, which is`} the live ${hit}${q === hit ? "" : " (another name for it)"}: it would restore over the live data`,
        );
    }
  };
  checkComponents(root);
  const st = statOrUndefined(root);
  if (st && !st.isDirectory()) throw refuse("is not a directory");
  if (st && listDir(root).length && !o.force) {
    throw new UsageError(
      `--target ${target} is not empty`,
      "Restore under an empty or new directory, or pass --force to restore into this one (it still never writes over a live path).",
    );
  }
  // The whole target, not only each destination: a symlink or mount between the target and a
  // destination (target/srv -> /etc) would carry the writes out of it too.
  if (st && o.force) assertNothingLeadsOut(root, canonicalPath(root), liveIds, refuse);
  for (const m of mappings) {
    const dest = join(root, m.source);
    checkComponents(dest);
    const destId = identity(dest);
    const under = destId ? aboveLive.get(destId) : undefined;
    if (under) throw refuse(`would restore ${m.source} into ${dest}, which holds the live ${under}`);
  }
  return root;
}

/** A forced restore into a directory with files: nothing in it may lead restic's writes elsewhere. */
function assertNothingLeadsOut(
  dir: string,
  root: string,
  liveIds: Map<string, string>,
  refuse: (why: string) => Error,
): void {
  let dev: number | undefined;
  for (const { path: p, stat: s } of lstatTree(dir)) {
    dev ??= s.dev;
    if (s.isSymbolicLink()) {
      const to = linkDestination(p);
      if (!isInside(to, root))
        throw refuse(`holds ${p}, a symlink to ${to} outside it: a restore into it could write there`);
    } else if (s.isDirectory()) {
      if (s.dev !== dev)
        throw refuse(`holds ${p}, a mount point: a restore into it could write into another filesystem`);
      const hit = liveIds.get(identity(p) ?? "");
      if (hit) throw refuse(`holds ${p}, which is the live ${hit}`);
    } else if (s.isFile() && s.nlink > 1) {
      throw refuse(`holds ${p}, a hard link: it may be a live file's other name`);
    }
  }
}
