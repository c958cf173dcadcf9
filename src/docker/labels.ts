import type { Strategy } from "../config/types";
import type { ContainerInfo } from "./client";

export const COMPOSE = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  workingDir: "com.docker.compose.project.working_dir",
  configFiles: "com.docker.compose.project.config_files",
  envFile: "com.docker.compose.project.environment_file",
  dependsOn: "com.docker.compose.depends_on",
  oneoff: "com.docker.compose.oneoff",
  volume: "com.docker.compose.volume",
} as const;

export const OUR = {
  strategy: "backup-tui.strategy",
  stop: "backup-tui.stop",
  exclude: "backup-tui.exclude",
  dump: "backup-tui.dump",
} as const;

const STRATEGIES = new Set(["stop", "down", "pause", "none", "snapshot"]);

/** The strategy a container's labels ask for, if any. */
export function labelStrategy(c: ContainerInfo): Strategy | undefined {
  if (c.labels[OUR.stop]?.toLowerCase() === "false") return "none";
  const s = c.labels[OUR.strategy]?.toLowerCase();
  return s && STRATEGIES.has(s) ? (s as Strategy) : undefined;
}

/** A stack takes the snapshot strategy when it is configured, or when any of its containers asks for it by label. */
export function stackStrategy(containers: ContainerInfo[], configured: Strategy): Strategy {
  return containers.some((c) => labelStrategy(c) === "snapshot") ? "snapshot" : configured;
}

/** Services a container depends on (Compose v2's depends_on label: "svc:condition:required,..."). */
export function dependsOn(c: ContainerInfo): string[] {
  const raw = c.labels[COMPOSE.dependsOn];
  if (!raw) return [];
  return raw
    .split(",")
    .map((d) => d.split(":")[0].trim())
    .filter(Boolean);
}

export function splitList(label: string | undefined): string[] {
  return (label ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
