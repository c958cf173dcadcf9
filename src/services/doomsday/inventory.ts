import type { InspectJson as Json } from "../../docker/cli";
import { RecordedFileCheck } from "../snapshots/recorded-paths";
import { COMPOSE } from "../../docker/labels";
import type { ServiceContext } from "../run/context";

// The host's Docker world as the doomsday snapshot records it (inventory.json): what a bare
// host needs to be rebuilt. Read with the docker CLI (honours DOCKER_HOST like dockerode).

export interface InventoryContainer {
  name: string;
  image: string;
  imageId: string;
  status: string;
  labels: Record<string, string>;
  mounts: Array<{ type: string; name?: string; source: string; destination: string; rw: boolean }>;
  networks: string[];
  restartPolicy?: string;
  project?: string;
  service?: string;
}

export interface InventoryNetwork {
  name: string;
  driver: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  subnets: Array<{ subnet?: string; gateway?: string }>;
}

export interface InventoryVolume {
  name: string;
  driver: string;
  mountpoint: string;
  labels: Record<string, string>;
  /** Which snapshot holds its data: a stack's (stack:NAME) or the doomsday snapshot itself. */
  in: string;
}

export interface InventoryImage {
  id: string;
  tags: string[];
  digests: string[];
  size: number;
  /** No registry digest: built or loaded here, cannot be pulled again. */
  local: boolean;
}

export interface InventoryStack {
  name: string;
  project: string;
  dir?: string;
  composeFiles: string[];
  envFiles: string[];
  /** Running when the doomsday backup ran: started again by the disaster restore. */
  running: boolean;
  snapshot?: string;
  /** Stacks whose networks or volumes this one uses (started first). */
  dependsOn: string[];
}

export interface Inventory {
  format: 1;
  host: string;
  createdAt: string;
  docker: { version: string };
  containers: InventoryContainer[];
  networks: InventoryNetwork[];
  volumes: InventoryVolume[];
  images: InventoryImage[];
  stacks: InventoryStack[];
  /** Files kept in the snapshot: daemon.json, config, dirlist, image archives, Portainer backup, kit. */
  files: Record<string, string>;
  /** Saved images: archive path in the snapshot → image reference. */
  savedImages: Array<{ ref: string; file: string; bytes: number }>;
}

/** Networks Docker makes itself: never recreated. */
export const BUILTIN_NETWORKS = new Set(["bridge", "host", "none"]);

/** Containers, networks, volumes and images of the engine, with digests. */
export async function readInventory(
  ctx: ServiceContext,
  signal?: AbortSignal,
): Promise<Pick<Inventory, "containers" | "networks" | "volumes" | "images">> {
  const cids = await ctx.dockerCli.ids("container", signal);
  const containers = (cids.length ? await ctx.dockerCli.inspect("container", cids, signal) : []).map(
    (c): InventoryContainer => ({
      name: String(c.Name).replace(/^\//, ""),
      image: c.Config?.Image ?? "",
      imageId: c.Image ?? "",
      status: c.State?.Status ?? "unknown",
      labels: c.Config?.Labels ?? {},
      mounts: (c.Mounts ?? []).map((m: Json) => ({
        type: m.Type,
        name: m.Name || undefined,
        source: m.Source,
        destination: m.Destination,
        rw: !!m.RW,
      })),
      networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
      restartPolicy: c.HostConfig?.RestartPolicy?.Name || undefined,
      project: c.Config?.Labels?.[COMPOSE.project],
      service: c.Config?.Labels?.[COMPOSE.service],
    }),
  );
  const nids = await ctx.dockerCli.ids("network", signal);
  const networks = (nids.length ? await ctx.dockerCli.inspect("network", nids, signal) : [])
    .filter((n) => !BUILTIN_NETWORKS.has(n.Name) && n.Scope === "local")
    .map(
      (n): InventoryNetwork => ({
        name: n.Name,
        driver: n.Driver,
        internal: !!n.Internal,
        attachable: !!n.Attachable,
        labels: n.Labels ?? {},
        options: n.Options ?? {},
        subnets: (n.IPAM?.Config ?? []).map((x: Json) => ({
          subnet: x.Subnet || undefined,
          gateway: x.Gateway || undefined,
        })),
      }),
    );
  const volumes = (await ctx.docker.listVolumes()).map(
    (v): InventoryVolume => ({ name: v.name, driver: v.driver, mountpoint: v.mountpoint, labels: v.labels, in: "" }),
  );
  const iids = await ctx.dockerCli.ids("image", signal);
  const images = (iids.length ? await ctx.dockerCli.inspect("image", iids, signal) : []).map(
    (i): InventoryImage => ({
      id: i.Id,
      tags: i.RepoTags ?? [],
      digests: i.RepoDigests ?? [],
      size: Number(i.Size ?? 0),
      local: !(i.RepoDigests ?? []).length,
    }),
  );
  return { containers, networks, volumes, images };
}

/**
 * Stack B depends on stack A when B's containers join a network, or mount a volume, that
 * A's Compose project created. Returns the other stacks' names.
 */
export function stackDependencies(
  project: string,
  containers: InventoryContainer[],
  networks: InventoryNetwork[],
  volumes: InventoryVolume[],
  projectToStack: Map<string, string>,
): string[] {
  const mine = containers.filter((c) => c.project === project);
  const deps = new Set<string>();
  for (const c of mine) {
    for (const n of c.networks) {
      const owner = networks.find((x) => x.name === n)?.labels[COMPOSE.project];
      if (owner && owner !== project && projectToStack.has(owner)) deps.add(projectToStack.get(owner)!);
    }
    for (const m of c.mounts) {
      const owner = m.name ? volumes.find((v) => v.name === m.name)?.labels[COMPOSE.project] : undefined;
      if (owner && owner !== project && projectToStack.has(owner)) deps.add(projectToStack.get(owner)!);
    }
  }
  return [...deps].sort();
}

/** Stacks in start order: dependencies first; a cycle is broken by name order. */
export function startOrder(stacks: Array<Pick<InventoryStack, "name" | "dependsOn">>): string[] {
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const visit = (name: string) => {
    if (state.get(name)) return;
    state.set(name, "visiting");
    for (const d of byName.get(name)?.dependsOn ?? []) if (byName.has(d)) visit(d);
    state.set(name, "done");
    out.push(name);
  };
  for (const s of [...stacks].sort((a, b) => a.name.localeCompare(b.name))) visit(s.name);
  return out;
}

/**
 * An inventory read from a doomsday snapshot, checked before the recovery acts on it (see
 * recorded-paths.ts): the files it keeps must be inside the snapshot's paths, every other path
 * absolute and clean, every network, volume and image a name Docker accepts. Throws an AppError
 * naming what is unsafe.
 */
export function checkInventory(inv: Inventory, snapshot: { id: string; paths: readonly string[] }): Inventory {
  const check = new RecordedFileCheck("inventory.json", snapshot.id);
  for (const [what, p] of Object.entries(inv.files ?? {})) check.path(`files.${what}`, p, snapshot.paths);
  for (const [i, img] of (inv.savedImages ?? []).entries()) {
    check.path(`savedImages[${i}].file`, img.file, snapshot.paths);
    check.name(`savedImages[${i}].ref`, img.ref, "image");
  }
  for (const [i, s] of (inv.stacks ?? []).entries()) {
    check.optionalPath(`stacks[${i}].dir`, s.dir);
    for (const [j, f] of (s.composeFiles ?? []).entries()) check.path(`stacks[${i}].composeFiles[${j}]`, f);
    for (const [j, f] of (s.envFiles ?? []).entries()) check.path(`stacks[${i}].envFiles[${j}]`, f);
  }
  for (const [i, v] of (inv.volumes ?? []).entries()) {
    check.name(`volumes[${i}].name`, v.name);
    check.path(`volumes[${i}].mountpoint`, v.mountpoint);
  }
  for (const [i, n] of (inv.networks ?? []).entries()) check.name(`networks[${i}].name`, n.name);
  check.refuse();
  return inv;
}
