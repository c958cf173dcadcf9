import { pathExists } from "../../fsops/probe";
import type { Config } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { OUR, splitList } from "../../docker/labels";

export interface StackPaths {
  paths: string[];
  excludes: string[];
  /** Bind mounts outside the stack directory that are left out (BACKUP_BIND_MOUNTS=false). */
  skippedBinds: string[];
  missing: string[];
}

const inside = (p: string, dir?: string) => !!dir && (p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`));
const SYSTEM_BINDS =
  /^\/(proc|sys|dev|run)(\/|$)|^\/var\/run\/docker\.sock$|^\/etc\/(localtime|timezone|hosts|resolv\.conf)$/;

/** What a stack's snapshot holds: its directory, its volumes, opted-in binds and extra paths. */
export function stackPaths(stack: Stack, config: Config): StackPaths {
  const settings = config.stacks[stack.name];
  const paths = new Set<string>();
  const skippedBinds = new Set<string>();
  if (stack.dir) paths.add(stack.dir);
  for (const v of stack.volumes) paths.add(v.mountpoint);
  for (const c of stack.containers) {
    for (const m of c.mounts) {
      if (m.type !== "bind" || inside(m.source, stack.dir) || SYSTEM_BINDS.test(m.source)) continue;
      if (config.docker.backupBindMounts) paths.add(m.source);
      else skippedBinds.add(m.source);
    }
  }
  for (const p of settings?.extraPaths ?? []) paths.add(p);
  const excludes = [...(settings?.exclude ?? [])];
  for (const c of stack.containers) {
    for (const glob of splitList(c.labels[OUR.exclude])) {
      if (glob.startsWith("/")) excludes.push(glob);
      else
        for (const m of c.mounts) if (m.type === "volume") excludes.push(`${m.source}/${glob.replace(/^\.?\//, "")}`);
    }
  }
  const all = [...paths];
  return {
    paths: all.filter((p) => pathExists(p)),
    missing: all.filter((p) => !pathExists(p)),
    excludes,
    skippedBinds: [...skippedBinds],
  };
}
