import type { ContainerInfo } from "../../docker/client";
import { discoverStacks, stackState, type Stack } from "../../docker/discovery";
import { planQuiesce } from "../../docker/lifecycle";
import type { ServiceContext } from "../run/context";
import type { StackManifest } from "../snapshots/manifest";
import type { RestoreMapping } from "./plan";
import { stopNeed, type Placement } from "./stage";

/** What an in-place restore covers: a stack, or one volume (and, with `file`, one path in it). */
export interface RestoreScope {
  scope: { kind: "stack"; stack: string } | { kind: "volume"; volume: string };
  file?: string;
}

/** The running containers an in-place restore stops, and why (or why nothing stops): what the dry run and the confirmation say. */
export async function stopPlan(
  ctx: ServiceContext,
  req: RestoreScope,
  manifest: StackManifest | undefined,
  placements: Placement[],
): Promise<{ stops: string[]; stopReason: string }> {
  const need = stopNeed(placements, !!req.file);
  if (!need.stop) return { stops: [], stopReason: need.reason };
  const stops = planQuiesce(await affectedContainers(ctx, req, manifest, placements), "stop")
    .stopLevels.flat()
    .map((c) => c.name);
  return { stops, stopReason: stops.length ? need.reason : "no running container uses it: nothing stops" };
}

/** The containers that must be stopped: the stack's, or only those mounting the restored volume. */
export async function affectedContainers(
  ctx: ServiceContext,
  req: RestoreScope,
  manifest: StackManifest | undefined,
  mappings: RestoreMapping[],
): Promise<Stack> {
  const stacks = await discoverStacks(ctx.docker, ctx.config.docker.stacksDir);
  const name = req.scope.kind === "stack" ? req.scope.stack : manifest?.stack;
  const stack = stacks.find((s) => s.name === name) ?? stacks.find((s) => manifest && s.project === manifest.project);
  const onlyVolumes = mappings.every((m) => m.volume);
  let containers: ContainerInfo[] = stack?.containers ?? [];
  if (req.scope.kind === "volume" || onlyVolumes) {
    const volumes = new Set(mappings.map((m) => m.volume));
    const all = await ctx.docker.listContainers();
    containers = all.filter((c) => c.mounts.some((mt) => mt.type === "volume" && mt.name && volumes.has(mt.name)));
  }
  return {
    name: stack?.name ?? name ?? scopeName(req),
    project: stack?.project ?? manifest?.project ?? "",
    dir: stack?.dir ?? manifest?.dir,
    source: "labels",
    composeFiles: stack?.composeFiles ?? manifest?.composeFiles ?? [],
    envFiles: stack?.envFiles ?? manifest?.envFiles ?? [],
    containers,
    volumes: [],
    state: stackState(containers),
  };
}

export function scopeName(req: RestoreScope): string {
  return req.scope.kind === "stack" ? req.scope.stack : req.scope.volume;
}
