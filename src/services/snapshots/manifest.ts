import type { DumpRecord } from "../dumps/dump";
import type { Strategy } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { COMPOSE } from "../../docker/labels";
import { RecordedFileCheck } from "./recorded-paths";
import type { StackPaths } from "../stacks/paths";

/** The manifest stored inside every stack snapshot: what restore needs to map paths back. */
export interface StackManifest {
  format: 1;
  stack: string;
  project: string;
  dir?: string;
  composeFiles: string[];
  envFiles: string[];
  host: string;
  createdAt: string;
  strategy: Strategy;
  paths: string[];
  excludes: string[];
  volumes: Array<{ name: string; mountpoint: string; driver: string; labels: Record<string, string> }>;
  containers: Array<{ name: string; service?: string; image: string; imageId: string; status: string }>;
  tools: Record<string, string>;
  /** Database dumps taken while the stack ran (backup-tui.dump labels): in the snapshot beside this file. */
  dumps?: DumpRecord[];
}

export function buildManifest(
  stack: Stack,
  sp: StackPaths,
  strategy: Strategy,
  host: string,
  tools: Record<string, string>,
): StackManifest {
  return {
    format: 1,
    stack: stack.name,
    project: stack.project,
    dir: stack.dir,
    composeFiles: stack.composeFiles,
    envFiles: stack.envFiles,
    host,
    createdAt: new Date().toISOString(),
    strategy,
    paths: sp.paths,
    excludes: sp.excludes,
    volumes: stack.volumes.map((v) => ({ name: v.name, mountpoint: v.mountpoint, driver: v.driver, labels: v.labels })),
    containers: stack.containers.map((c) => ({
      name: c.name,
      service: c.labels[COMPOSE.service],
      image: c.image,
      imageId: c.imageId,
      status: c.status,
    })),
    tools,
  };
}

/**
 * A manifest read from a snapshot, its paths checked (see recorded-paths.ts): the dump files
 * must be inside the snapshot's own paths, every other path absolute and clean. Throws an
 * AppError naming what is unsafe.
 */
export function checkManifest(
  manifest: StackManifest,
  snapshot: { id: string; paths: readonly string[] },
): StackManifest {
  const check = new RecordedFileCheck("manifest.json", snapshot.id);
  check.optionalPath("dir", manifest.dir);
  for (const [i, f] of (manifest.composeFiles ?? []).entries()) check.path(`composeFiles[${i}]`, f);
  for (const [i, f] of (manifest.envFiles ?? []).entries()) check.path(`envFiles[${i}]`, f);
  for (const [i, p] of (manifest.paths ?? []).entries()) check.path(`paths[${i}]`, p);
  for (const [i, v] of (manifest.volumes ?? []).entries()) {
    check.name(`volumes[${i}].name`, v.name);
    check.path(`volumes[${i}].mountpoint`, v.mountpoint);
  }
  for (const [i, d] of (manifest.dumps ?? []).entries()) check.path(`dumps[${i}].file`, d.file, snapshot.paths);
  check.refuse();
  return manifest;
}
