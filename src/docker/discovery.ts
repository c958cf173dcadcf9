import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { ContainerInfo, DockerApi, VolumeInfo } from "./client";
import { COMPOSE, splitList } from "./labels";

export const COMPOSE_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

export type StackState = "running" | "stopped" | "not-found" | "unknown";

/** A Compose project: found as a directory, as labelled containers, or both. */
export interface Stack {
  /** The dirlist name: the directory name when there is one, else the project name. */
  name: string;
  /** Compose project name (labels), or Compose's default for a directory. */
  project: string;
  dir?: string;
  /** "external": an EXT:/path entry of the dirlist — a plain directory, no containers. */
  source: "dir" | "labels" | "both" | "external";
  composeFiles: string[];
  envFiles: string[];
  containers: ContainerInfo[];
  volumes: VolumeInfo[];
  state: StackState;
}

/** Compose's default project name for a directory. */
export function defaultProjectName(dir: string): string {
  return basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "");
}

function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

export function composeFileIn(dir: string): string | undefined {
  return COMPOSE_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

/** Directories under stacksDir that hold a compose file. */
export function scanStacksDir(
  stacksDir: string | undefined,
): Array<{ name: string; dir: string; composeFile: string }> {
  if (!stacksDir || !existsSync(stacksDir)) return [];
  const out: Array<{ name: string; dir: string; composeFile: string }> = [];
  for (const entry of readdirSync(stacksDir).sort()) {
    const dir = join(stacksDir, entry);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue;
    }
    const composeFile = composeFileIn(dir);
    if (composeFile) out.push({ name: entry, dir: canonical(dir), composeFile });
  }
  return out;
}

export function stackState(containers: ContainerInfo[]): StackState {
  if (!containers.length) return "not-found";
  if (containers.some((c) => c.status === "running" || c.status === "paused" || c.status === "restarting"))
    return "running";
  return "stopped";
}

/**
 * Finds stacks: directories under DOCKER_STACKS_DIR holding a compose file, merged with
 * containers labelled com.docker.compose.project (matched by their working_dir label).
 */
export async function discoverStacks(docker: DockerApi, stacksDir: string | undefined): Promise<Stack[]> {
  const dirs = scanStacksDir(stacksDir);
  const containers = (await docker.listContainers(COMPOSE.project)).filter((c) => c.labels[COMPOSE.oneoff] !== "True");
  const volumes = await docker.listVolumes(COMPOSE.project);

  const byProject = new Map<string, ContainerInfo[]>();
  for (const c of containers) {
    const p = c.labels[COMPOSE.project];
    byProject.set(p, [...(byProject.get(p) ?? []), c]);
  }

  const stacks: Stack[] = [];
  const claimed = new Set<string>();
  for (const d of dirs) {
    // The project whose containers were started from this directory; else the one Compose
    // would name after it (so one project never shows up as two stacks).
    const project =
      [...byProject.entries()].find(([, cs]) =>
        cs.some((c) => c.labels[COMPOSE.workingDir] && canonical(c.labels[COMPOSE.workingDir]) === d.dir),
      )?.[0] ??
      (byProject.has(defaultProjectName(d.dir)) && !claimed.has(defaultProjectName(d.dir))
        ? defaultProjectName(d.dir)
        : undefined);
    const name = project ?? defaultProjectName(d.dir);
    if (project) claimed.add(project);
    stacks.push(
      build(d.name, name, d.dir, project ? "both" : "dir", byProject.get(name) ?? [], volumes, [d.composeFile]),
    );
  }
  for (const [project, cs] of byProject) {
    if (claimed.has(project)) continue;
    const dir = cs[0].labels[COMPOSE.workingDir];
    const files = splitList(cs[0].labels[COMPOSE.configFiles]).map((f) => (dir ? resolve(dir, f) : f));
    stacks.push(build(project, project, dir ? canonical(dir) : undefined, "labels", cs, volumes, files));
  }
  return stacks.sort((a, b) => a.name.localeCompare(b.name));
}

function build(
  name: string,
  project: string,
  dir: string | undefined,
  source: Stack["source"],
  containers: ContainerInfo[],
  allVolumes: VolumeInfo[],
  composeFiles: string[],
): Stack {
  const labelled = containers[0]?.labels ?? {};
  const fromLabels = splitList(labelled[COMPOSE.configFiles]).map((f) => (dir ? resolve(dir, f) : f));
  const volumes = new Map<string, VolumeInfo>();
  for (const v of allVolumes) if (v.labels[COMPOSE.project] === project) volumes.set(v.name, v);
  for (const c of containers) {
    for (const m of c.mounts) {
      if (m.type === "volume" && m.name && !volumes.has(m.name)) {
        volumes.set(m.name, { name: m.name, mountpoint: m.source, driver: "local", labels: {} });
      }
    }
  }
  return {
    name,
    project,
    dir,
    source,
    composeFiles: fromLabels.length ? fromLabels : composeFiles,
    envFiles: splitList(labelled[COMPOSE.envFile]),
    containers: [...containers].sort((a, b) => a.name.localeCompare(b.name)),
    volumes: [...volumes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    state: stackState(containers),
  };
}

/** An EXT:/path dirlist entry as a stack with no containers. */
export function externalStack(path: string): Stack {
  return {
    name: `EXT:${path}`,
    project: "",
    dir: path,
    source: "external",
    composeFiles: [],
    envFiles: [],
    containers: [],
    volumes: [],
    state: "not-found",
  };
}
