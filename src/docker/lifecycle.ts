import type { Strategy } from "../config/types";
import { AppError, abortExitCode, errorMessage } from "../errors";
import type { JournalContainer, JournalEntry } from "../state/journal";
import type { ContainerInfo, DockerApi } from "./client";
import type { ComposeCli, ComposeTarget } from "./compose";
import type { Stack } from "./discovery";
import { COMPOSE, dependsOn, labelStrategy } from "./labels";

/** What quiescing a stack will do to each container: decided from state, config and labels only. */
export interface QuiescePlan {
  strategy: Strategy;
  /** Running containers to stop, in levels: dependents first; each level may stop in parallel. */
  stopLevels: ContainerInfo[][];
  pause: ContainerInfo[];
  /** Services to bring down/up with compose (strategy down). */
  downServices: string[];
  untouched: Array<{ container: ContainerInfo; reason: string }>;
  notes: string[];
}

const isUp = (c: ContainerInfo) => c.status === "running" || c.status === "restarting";

/**
 * `freeze`: what the snapshot strategy does to a running container while its btrfs snapshots
 * are taken (a container's own pause/stop/none label still wins).
 */
export function planQuiesce(stack: Stack, stackStrategy: Strategy, freeze: "pause" | "stop" = "pause"): QuiescePlan {
  const plan: QuiescePlan = {
    strategy: stackStrategy,
    stopLevels: [],
    pause: [],
    downServices: [],
    untouched: [],
    notes: [],
  };
  const toStop: ContainerInfo[] = [];
  const exempt = stack.containers.filter((c) => labelStrategy(c) === "none");
  let strategy = stackStrategy;
  if (strategy === "down" && exempt.some(isUp)) {
    strategy = "stop";
    plan.notes.push(
      `${exempt.map((c) => c.name).join(", ")} must keep running (label), so compose down is replaced by stopping the other containers`,
    );
  }
  if (strategy === "down" && !stack.containers.some((c) => c.labels[COMPOSE.project])) strategy = "stop";
  plan.strategy = strategy;
  for (const c of stack.containers) {
    const label = labelStrategy(c);
    // A snapshot label outside the snapshot strategy (its fallback): the stack's strategy applies.
    const own = label === undefined || label === "snapshot" ? strategy : label;
    const effective = own === "down" ? (strategy === "down" ? "down" : "stop") : own === "snapshot" ? freeze : own;
    if (c.status === "paused") plan.untouched.push({ container: c, reason: "already paused" });
    else if (!isUp(c)) plan.untouched.push({ container: c, reason: `not running (${c.status}); it stays as it is` });
    else if (effective === "none")
      plan.untouched.push({ container: c, reason: "strategy none: backed up while running" });
    else if (effective === "pause") plan.pause.push(c);
    else if (effective === "down") plan.downServices.push(c.labels[COMPOSE.service] ?? c.name);
    else toStop.push(c);
  }
  plan.stopLevels = dependencyLevels(toStop).reverse();
  return plan;
}

/** Groups containers by dependency depth: level 0 has no dependencies among them. */
export function dependencyLevels(containers: ContainerInfo[]): ContainerInfo[][] {
  const byService = new Map(containers.map((c) => [c.labels[COMPOSE.service] ?? c.name, c]));
  const depth = new Map<string, number>();
  const visit = (svc: string, seen: Set<string>): number => {
    if (depth.has(svc)) return depth.get(svc)!;
    if (seen.has(svc)) return 0; // a cycle: Compose refuses those, so treat as no dependency
    seen.add(svc);
    const c = byService.get(svc);
    const deps = c ? dependsOn(c).filter((d) => byService.has(d)) : [];
    const d = deps.length ? 1 + Math.max(...deps.map((x) => visit(x, seen))) : 0;
    depth.set(svc, d);
    return d;
  };
  const levels: ContainerInfo[][] = [];
  for (const [svc, c] of byService) (levels[visit(svc, new Set())] ??= []).push(c);
  return levels.filter(Boolean);
}

export function plannedActions(plan: QuiescePlan): JournalContainer[] {
  const entry = (c: ContainerInfo, action: JournalContainer["action"], level: number) => ({
    id: c.id,
    name: c.name,
    service: c.labels[COMPOSE.service],
    action,
    level,
  });
  const depth = (i: number) => plan.stopLevels.length - 1 - i;
  return [
    ...plan.stopLevels.flatMap((level, i) => level.map((c) => entry(c, "stopped", depth(i)))),
    ...plan.pause.map((c) => entry(c, "paused", 0)),
  ];
}

export interface LifecycleDeps {
  docker: DockerApi;
  compose: ComposeCli;
  stopTimeoutSec: number;
  timeoutMs: number;
  /** How long to wait for a container to be seen running/stopped. */
  settleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function composeTarget(stack: Stack): ComposeTarget {
  return { project: stack.project, workingDir: stack.dir, configFiles: stack.composeFiles, envFiles: stack.envFiles };
}

export interface QuiesceOptions {
  /** Aborts the stop wait at once: containers still stopping are killed, then quiesce throws. */
  signal?: AbortSignal;
  /** A container Docker killed because it did not exit within the stop timeout (it ignores SIGTERM). */
  onKilled?: (name: string, timeoutSec: number) => void;
  /** The stop was aborted: these containers were still stopping and are killed. */
  onAbort?: (stillStopping: string[]) => void;
}

/** Exit code of a container ended by SIGKILL (128 + 9). */
const KILLED = 137;

/** Stops/pauses per plan. The journal entry must already be written. Throws after undoing what it did, if a step fails. */
export async function quiesce(
  stack: Stack,
  plan: QuiescePlan,
  deps: LifecycleDeps,
  o: QuiesceOptions = {},
): Promise<void> {
  throwIfAborted(o.signal);
  if (plan.downServices.length) {
    await deps.compose.down(composeTarget(stack), { stopTimeoutSec: deps.stopTimeoutSec, timeoutMs: deps.timeoutMs });
  }
  for (const level of plan.stopLevels) {
    throwIfAborted(o.signal);
    await stopLevel(level, deps, o);
  }
  throwIfAborted(o.signal);
  await settleAll(plan.pause.map((c) => deps.docker.pause(c.id)));
  const expectStopped = [...plan.stopLevels.flat()];
  await waitFor(
    deps,
    async () => {
      throwIfAborted(o.signal);
      for (const c of expectStopped) {
        const now = await deps.docker.inspect(c.id);
        if (now && isUp(now)) return `${c.name} is still ${now.status}`;
      }
      return undefined;
    },
    "stop",
  );
}

/**
 * Stops one level in parallel. allSettled: a failed stop must not return while other stops of its
 * level still run (the caller restarts everything, and a stop finishing later would leave that
 * container down). An abort does not wait out the stop timeout: whatever is still stopping is
 * killed (what Docker does at the timeout anyway), its stop call then returns, and quiesce throws.
 */
async function stopLevel(level: ContainerInfo[], deps: LifecycleDeps, o: QuiesceOptions): Promise<void> {
  const pending = new Set(level.map((c) => c.name));
  const stops = level.map(async (c) => {
    const t0 = Date.now();
    try {
      await deps.docker.stop(c.id, deps.stopTimeoutSec);
    } finally {
      pending.delete(c.name);
    }
    // A stop that took the whole timeout and ended in SIGKILL: Docker killed it (it ignores SIGTERM).
    if (o.onKilled && !o.signal?.aborted && Date.now() - t0 >= deps.stopTimeoutSec * 1000 - 250) {
      const now = await deps.docker.inspect(c.id).catch(() => undefined);
      if (now?.exitCode === KILLED) o.onKilled(c.name, deps.stopTimeoutSec);
    }
  });
  const all = Promise.allSettled(stops);
  const abort = whenAborted(o.signal);
  const aborted = await Promise.race([all.then(() => false), abort.promise]).finally(abort.dispose);
  if (aborted) {
    const still = level.filter((c) => pending.has(c.name));
    o.onAbort?.(still.map((c) => c.name));
    // A stop with no grace: Docker sends SIGKILL at once (also while an earlier stop still waits).
    await Promise.allSettled(still.map((c) => deps.docker.stop(c.id, 0)));
    await Promise.race([all, new Promise((r) => setTimeout(r, 10_000).unref())]);
    throwIfAborted(o.signal);
  }
  const failed = (await all).find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Resolves true when the signal aborts (never without one); dispose removes its listener. */
function whenAborted(signal?: AbortSignal): { promise: Promise<boolean>; dispose: () => void } {
  if (!signal) return { promise: new Promise(() => undefined), dispose: () => undefined };
  if (signal.aborted) return { promise: Promise.resolve(true), dispose: () => undefined };
  let listener = () => undefined as void;
  const promise = new Promise<boolean>((resolve) => {
    listener = () => resolve(true);
    signal.addEventListener("abort", listener, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener("abort", listener) };
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted)
    throw new AppError(
      `interrupted by ${typeof signal.reason === "string" ? signal.reason : "an abort"} while stopping the stack`,
      abortExitCode(signal),
    );
}

async function settleAll(work: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

export interface ResumeReport {
  started: string[];
  /** `gone`: Docker answered that the container no longer exists (removed): there is nothing left to start. */
  failed: Array<{ name: string; reason: string; logTail: string; gone?: boolean }>;
}

/** Brings back exactly what a journal entry says was stopped or paused, and checks it runs. */
export async function resume(entry: JournalEntry, deps: LifecycleDeps): Promise<ResumeReport> {
  const report: ResumeReport = { started: [], failed: [] };
  const target: ComposeTarget | undefined = entry.project
    ? {
        project: entry.project,
        workingDir: entry.workingDir,
        configFiles: entry.configFiles ?? [],
        envFiles: entry.envFiles ?? [],
      }
    : undefined;
  if (entry.strategy === "down" && target) {
    const services = [...new Set(entry.containers.map((c) => c.service).filter((s): s is string => !!s))];
    try {
      await deps.compose.up(target, services, { timeoutMs: deps.timeoutMs });
    } catch (err) {
      for (const c of entry.containers) report.failed.push({ name: c.name, reason: errorMessage(err), logTail: "" });
      return report;
    }
  } else {
    const stopped = entry.containers.filter((c) => c.action === "stopped");
    const levels = dependencyLevelsOfJournal(stopped);
    for (const level of levels) {
      await Promise.all(
        level.map(async (c) => {
          try {
            const current = await findCurrent(c, entry, deps.docker);
            if (!current)
              return void report.failed.push({ name: c.name, reason: "no longer exists", logTail: "", gone: true });
            if (!isUp(current)) await deps.docker.start(current.id);
          } catch (err) {
            report.failed.push({ name: c.name, reason: errorMessage(err), logTail: "" });
          }
        }),
      );
    }
    for (const c of entry.containers.filter((x) => x.action === "paused")) {
      try {
        const current = await deps.docker.inspect(c.id);
        if (current?.status === "paused") await deps.docker.unpause(c.id);
      } catch (err) {
        report.failed.push({ name: c.name, reason: errorMessage(err), logTail: "" });
      }
    }
  }
  // Verify: every container we touched must be seen running, at two checks a poll apart: one
  // that dies a moment after its start (a failing entrypoint) is caught by the second. One that
  // exited after we started it has failed for good (a restart policy shows as "restarting").
  const pending = new Set(entry.containers.map((c) => c.name).filter((n) => !report.failed.some((f) => f.name === n)));
  const exited = new Set<string>();
  const seenRunning = new Map<string, number>();
  await waitFor(
    deps,
    async () => {
      for (const c of entry.containers) {
        if (!pending.has(c.name)) continue;
        const now = await findCurrent(c, entry, deps.docker);
        if (now?.status === "running") {
          const seen = (seenRunning.get(c.name) ?? 0) + 1;
          seenRunning.set(c.name, seen);
          if (seen >= 2) {
            pending.delete(c.name);
            report.started.push(c.name);
          }
        } else {
          seenRunning.delete(c.name);
          if (now && (now.status === "exited" || now.status === "dead")) exited.add(c.name);
        }
      }
      return pending.size && exited.size < pending.size ? `${[...pending].join(", ")} not running yet` : undefined;
    },
    "start",
  ).catch(() => undefined);
  for (const name of pending) {
    const c = entry.containers.find((x) => x.name === name)!;
    const now = await findCurrent(c, entry, deps.docker).catch((err: unknown) => new Error(errorMessage(err)));
    if (now instanceof Error)
      report.failed.push({ name, reason: `could not be inspected: ${now.message}`, logTail: "" });
    else if (!now) report.failed.push({ name, reason: "no longer exists", logTail: "", gone: true });
    else
      report.failed.push({
        name,
        reason: `is ${now.status}${now.exitCode ? ` (exit code ${now.exitCode})` : ""}`,
        logTail: await deps.docker.logsTail(now.id, 20),
      });
  }
  return report;
}

/**
 * A run killed just after asking Docker to stop a container does not take the stop with it:
 * Docker finishes it on its own, up to the stop timeout later. Before recovery decides what to
 * start, wait until every such stop must be over (the journal's age says when), so a container
 * that dies a moment after recovery looked at it is not left stopped.
 */
export async function settleStops(
  entry: JournalEntry,
  deps: LifecycleDeps,
  now: () => number = Date.now,
): Promise<void> {
  const written = Date.parse(entry.writtenAt);
  const until = written + (deps.stopTimeoutSec + 5) * 1000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const stopping = entry.containers.filter((c) => c.action === "stopped");
  while (now() < until) {
    let pending = false;
    for (const c of stopping) {
      const current = await deps.docker.inspect(c.id);
      // Still the instance the dead run meant to stop (started before the journal was written), and still up.
      if (current && isUp(current) && (!current.startedAt || Date.parse(current.startedAt) <= written)) pending = true;
    }
    if (!pending) return;
    await sleep(250);
  }
}

/** Start order: dependencies first, each level in parallel (the journal records each container's depth). */
function dependencyLevelsOfJournal(stopped: JournalContainer[]): JournalContainer[][] {
  const levels: JournalContainer[][] = [];
  for (const c of stopped) (levels[c.level ?? 0] ??= []).push(c);
  return levels.filter(Boolean);
}

/** The container as it is now: by id, or (after `up -d` recreated it) by project and service. */
async function findCurrent(
  c: JournalContainer,
  entry: JournalEntry,
  docker: DockerApi,
): Promise<ContainerInfo | undefined> {
  const byId = await docker.inspect(c.id);
  if (byId) return byId;
  if (!entry.project || !c.service) return undefined;
  const all = await docker.listContainers(`${COMPOSE.project}=${entry.project}`);
  const same = all.filter((x) => x.labels[COMPOSE.service] === c.service);
  return same.find((x) => x.name === c.name) ?? same[0];
}

async function waitFor(deps: LifecycleDeps, check: () => Promise<string | undefined>, what: string): Promise<void> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (deps.settleMs ?? 15_000);
  let last: string | undefined;
  while ((last = await check()) !== undefined) {
    if (Date.now() > deadline) throw new Error(`${what} not confirmed: ${last}`);
    await sleep(250);
  }
}
