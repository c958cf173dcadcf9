import type { Stack } from "../../docker/discovery";
import {
  composeTarget,
  plannedActions,
  quiesce,
  resume,
  type LifecycleDeps,
  type QuiesceOptions,
  type QuiescePlan,
  type ResumeReport,
} from "../../docker/lifecycle";
import { COMPOSE } from "../../docker/labels";
import type { JournalEntry } from "../../state/journal";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";

export function lifecycleDeps(ctx: ServiceContext): LifecycleDeps {
  return {
    docker: ctx.docker,
    compose: ctx.compose,
    stopTimeoutSec: ctx.config.docker.stopTimeoutSec,
    timeoutMs: ctx.config.docker.timeoutSec * 1000,
  };
}

/** The journal entry for what a plan will stop or pause: written before anything is touched. */
export function journalEntry(
  ctx: ServiceContext,
  stack: Stack,
  plan: QuiescePlan,
  runId: number | string,
): JournalEntry {
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

/** What a plan does to the stack, as the output says it: "paused" when it only pauses (STRATEGY=pause), else "stopped". */
export function quiescedAs(plan: QuiescePlan): "paused" | "stopped" {
  return plan.pause.length && !plan.stopLevels.length && !plan.downServices.length ? "paused" : "stopped";
}

/** What the summary says of a container Docker had to kill at the stop timeout. */
export function killedNote(name: string, timeoutSec: number): string {
  return `${name} did not stop in ${timeoutSec} s: killed (it ignores SIGTERM; raise STOP_TIMEOUT, or make it exit on TERM: a \`trap 'exit 0' TERM\` in its command, or exec its program as PID 1)`;
}

/**
 * What quiesce reports while stopping, as warnings (they reach the output and the log file through
 * the event sink): a container Docker had to kill at the timeout (also collected into `killed`),
 * and an abort that cuts the stop short.
 */
export function stopNotices(stack: Stack, emit: EventSink, killed: string[], signal?: AbortSignal): QuiesceOptions {
  return {
    signal,
    onKilled: (name, timeoutSec) => {
      const note = killedNote(name, timeoutSec);
      killed.push(note);
      emit({ type: "warning", stack: stack.name, message: note });
    },
    onAbort: (still) => {
      const what = still.length ? `killing ${still.join(", ")} (still stopping) and ` : "";
      emit({
        type: "warning",
        stack: stack.name,
        message: `interrupted while stopping: ${what}starting every container that ran`,
      });
    },
  };
}

/**
 * Stops what the plan says (journalled first), runs work, and always brings it back —
 * also when stopping or work fails (returned as `error`, so the restart report is never
 * lost). What does not come back stays in the journal for `recover`. With a signal, an abort
 * while stopping does not wait out STOP_TIMEOUT: what is still stopping is killed, then
 * everything that ran is started again. `killed`: notes on containers Docker killed at the timeout.
 */
export async function quiesced(
  ctx: ServiceContext,
  stack: Stack,
  plan: QuiescePlan,
  runId: number | string,
  emit: EventSink,
  work: () => Promise<void>,
  o: { signal?: AbortSignal } = {},
): Promise<{ downtimeMs: number; report: ResumeReport; error?: unknown; killed: string[] }> {
  const deps = lifecycleDeps(ctx);
  const entry = journalEntry(ctx, stack, plan, runId);
  ctx.journal.write(entry);
  emit({
    type: "phase",
    stack: stack.name,
    phase: quiescedAs(plan) === "paused" ? "pausing" : "stopping",
    detail: entry.containers.map((c) => c.name).join(", "),
  });
  const stoppedAt = Date.now();
  const killed: string[] = [];
  let error: unknown;
  try {
    await quiesce(stack, plan, deps, stopNotices(stack, emit, killed, o.signal));
    await work();
  } catch (err) {
    error = err;
  }
  emit({ type: "phase", stack: stack.name, phase: "starting" });
  const report = await resume(entry, deps);
  if (report.failed.length) {
    ctx.journal.write({
      ...entry,
      containers: entry.containers.filter((c) => report.failed.some((f) => f.name === c.name)),
    });
  } else {
    ctx.journal.remove(entry.id);
  }
  return { downtimeMs: Date.now() - stoppedAt, report, error, killed };
}
