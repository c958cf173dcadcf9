import { discoverStacks, type Stack } from "../../docker/discovery";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { volumeTarget } from "./volume-target";

/**
 * The stacks a run was asked for, as they are now: read again once the run holds the
 * repository lock (and has recovered dead runs). Another job may have stopped, started or
 * recreated their containers while this one waited; what to stop and start again is decided
 * from this, never from what the selection saw before the lock.
 */
export async function currentStacks(
  ctx: ServiceContext,
  req: { stacks: Stack[]; volume?: { name: string; owner?: string } },
  emit: EventSink,
): Promise<{ stacks: Stack[]; volume?: { name: string; owner?: string } }> {
  if (req.volume) {
    const { target, owner } = await volumeTarget(ctx.docker, ctx.config.docker.stacksDir, req.volume.name);
    return { stacks: [target], volume: { name: req.volume.name, owner } };
  }
  if (req.stacks.every((s) => s.source === "external")) return { stacks: req.stacks };
  const found = await discoverStacks(ctx.docker, ctx.config.docker.stacksDir);
  const stacks = req.stacks.map((s) => {
    if (s.source === "external") return s;
    const now = found.find((f) => f.name === s.name);
    if (now) return now;
    // Only a stack known by its containers' labels can vanish: nothing of it is left to stop.
    emit({
      type: "warning",
      stack: s.name,
      message: `the containers of ${s.name} are gone since the run was asked for: it is backed up without stopping anything`,
    });
    return { ...s, containers: [], state: "not-found" as const };
  });
  return { stacks };
}
