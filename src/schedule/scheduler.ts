import { Cron } from "croner";
import { cronPattern } from "./cron";
import type { Job } from "./jobs";

export interface SchedulerDeps {
  /** Runs one job to its end and resolves with its exit code; the signal asks it to stop (SIGTERM). */
  run(job: Job, signal: AbortSignal): Promise<number>;
  /** The job fired while its previous run was still queued or running: it is skipped, and said so. */
  skipped(job: Job, reason: string): void;
  /** After each job, whatever its result. */
  finished?(job: Job, code: number | Error, ms: number): void;
}

/**
 * The daemon's clock: one croner timer per job, one job at a time (they share the repository);
 * a job that fires while another runs waits in the queue, one that would overlap itself is skipped.
 * A failing job never stops the others.
 */
export class Scheduler {
  private timers: Array<{ id: string; cron: Cron }> = [];
  private readonly queue: Job[] = [];
  private current?: { job: Job; controller: AbortController; done: Promise<void> };
  private stopping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: SchedulerDeps) {}

  /** (Re)arms the timers for these jobs; a running job and the queue are left as they are. */
  schedule(jobs: Job[]): void {
    for (const t of this.timers) t.cron.stop();
    this.timers = jobs
      .filter((j) => !j.unavailable)
      .map((job) => ({ id: job.id, cron: new Cron(cronPattern(job.schedule), () => this.fire(job)) }));
  }

  /** The next run of each armed job. */
  nextRuns(): Array<{ id: string; next: Date | null }> {
    return this.timers.map((t) => ({ id: t.id, next: t.cron.nextRun() }));
  }

  /** A timer fired (also called directly by `run now`-style callers and tests). */
  fire(job: Job): void {
    if (this.stopping) return;
    if (this.current?.job.id === job.id) return this.deps.skipped(job, "its previous run was still running");
    if (this.queue.some((q) => q.id === job.id))
      return this.deps.skipped(job, "its previous run was still waiting for its turn");
    this.queue.push(job);
    this.pump();
  }

  /** The job running now and those waiting, in order. */
  state(): { running?: string; queued: string[] } {
    return { running: this.current?.job.id, queued: this.queue.map((j) => j.id) };
  }

  private pump(): void {
    if (this.current || this.stopping) return;
    const job = this.queue.shift();
    if (!job) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const controller = new AbortController();
    const started = Date.now();
    const done = this.deps
      .run(job, controller.signal)
      .then(
        (code) => this.deps.finished?.(job, code, Date.now() - started),
        (err: Error) => this.deps.finished?.(job, err, Date.now() - started),
      )
      .finally(() => {
        this.current = undefined;
        this.pump();
      });
    this.current = { job, controller, done };
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (!this.current && !this.queue.length) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops the timers, drops the queue, asks the running job to stop and waits for it. `reason`: the signal, so the job records its exit code. */
  async stop(reason?: unknown): Promise<string[]> {
    this.stopping = true;
    for (const t of this.timers) t.cron.stop();
    this.timers = [];
    const dropped = this.queue.splice(0).map((j) => j.id);
    const current = this.current;
    if (current) {
      current.controller.abort(reason);
      await current.done;
    }
    for (const w of this.idleWaiters.splice(0)) w();
    return dropped;
  }
}
