import type { Stack } from "../docker/discovery";
import { composeTarget, plannedActions, quiesce, resume, type LifecycleDeps, type QuiescePlan, type ResumeReport } from "../docker/lifecycle";
import { COMPOSE } from "../docker/labels";
import type { JournalEntry } from "../state/journal";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";

export function lifecycleDeps(ctx: ServiceContext): LifecycleDeps {
  return { docker: ctx.docker, compose: ctx.compose, stopTimeoutSec: ctx.config.docker.stopTimeoutSec, timeoutMs: ctx.config.docker.timeoutSec * 1000 };
}

/** The journal entry for what a plan will stop or pause: written before anything is touched. */
export function journalEntry(ctx: ServiceContext, stack: Stack, plan: QuiescePlan, runId: number | string): JournalEntry {
  const down = plan.downServices.length > 0;
  const containers = down
    ? stack.containers
        .filter((c) => plan.downServices.includes(c.labels[COMPOSE.service] ?? c.name))
        .map((c) => ({ id: c.id, name: c.name, service: c.labels[COMPOSE.service], action: "stopped" as const }))
    : plannedActions(plan);
  return {
    id: `${runId}-${stack.name}`,
    runId,
    stack: stack.name,
    strategy: down ? "down" : plan.strategy,
    ...composeTarget(stack),
    containers,
    owner: ctx.owner,
    writtenAt: new Date().toISOString(),
  };
}

/**
 * Stops what the plan says (journalled first), runs work, and always brings it back —
 * also when stopping or work fails (returned as `error`, so the restart report is never
 * lost). What does not come back stays in the journal for `recover`.
 */
export async function quiesced(
  ctx: ServiceContext,
  stack: Stack,
  plan: QuiescePlan,
  runId: number | string,
  emit: EventSink,
  work: () => Promise<void>,
): Promise<{ downtimeMs: number; report: ResumeReport; error?: unknown }> {
  const deps = lifecycleDeps(ctx);
  const entry = journalEntry(ctx, stack, plan, runId);
  ctx.journal.write(entry);
  emit({ type: "phase", stack: stack.name, phase: "stopping", detail: entry.containers.map((c) => c.name).join(", ") });
  const stoppedAt = Date.now();
  let error: unknown;
  try {
    await quiesce(stack, plan, deps);
    await work();
  } catch (err) {
    error = err;
  }
  emit({ type: "phase", stack: stack.name, phase: "starting" });
  const report = await resume(entry, deps);
  if (report.failed.length) {
    ctx.journal.write({ ...entry, containers: entry.containers.filter((c) => report.failed.some((f) => f.name === c.name)) });
  } else {
    ctx.journal.remove(entry.id);
  }
  return { downtimeMs: Date.now() - stoppedAt, report, error };
}
