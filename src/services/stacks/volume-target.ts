import type { DockerApi } from "../../docker/client";
import { discoverStacks, type Stack } from "../../docker/discovery";
import { COMPOSE } from "../../docker/labels";
import { UsageError } from "../../errors";

/**
 * A single named volume as a backup target: the volume, the containers that mount it
 * (only those are stopped), and the stack it belongs to, if any.
 */
export async function volumeTarget(
  docker: DockerApi,
  stacksDir: string | undefined,
  name: string,
): Promise<{ target: Stack; owner?: string }> {
  const volume = await docker.inspectVolume(name);
  if (!volume)
    throw new UsageError(`no Docker volume named ${JSON.stringify(name)}`, "List them with `docker volume ls`.");
  const containers = (await docker.listContainers()).filter((c) =>
    c.mounts.some((m) => m.type === "volume" && m.name === name),
  );
  const stacks = await discoverStacks(docker, stacksDir);
  const project =
    volume.labels[COMPOSE.project] ?? containers.find((c) => c.labels[COMPOSE.project])?.labels[COMPOSE.project];
  const stack = stacks.find((s) => s.project === project || s.volumes.some((v) => v.name === name));
  const target: Stack = {
    name: `volume-${name}`,
    project: stack?.project ?? project ?? "",
    dir: stack?.dir,
    source: "labels",
    composeFiles: stack?.composeFiles ?? [],
    envFiles: stack?.envFiles ?? [],
    containers,
    volumes: [volume],
    state: containers.some((c) => c.status === "running") ? "running" : containers.length ? "stopped" : "not-found",
  };
  return { target, owner: stack?.name };
}

/** Docker's own rule for volume names; anything else would reach the Engine API's URL path. */
export function assertVolumeName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name.slice(0, 80))} is not a Docker volume name`,
      "A volume name is letters, digits, '_', '.' and '-' (`docker volume ls` lists them).",
    );
  }
}
