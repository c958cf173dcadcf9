import { openContext, readConfig, type CommandEnv } from "../app";
import { AppError, BusyError, ExitCode, ToolError, errorMessage } from "../errors";
import { format } from "../output";
import { jobsOf, type Job } from "../schedule/jobs";
import { Scheduler } from "../schedule/scheduler";
import { notifyOverdue } from "../services/status/overdue";
import { selfCommand } from "../schedule/self";
import { acquireRepoLock } from "../state/lock";
import type { RunKind } from "../state/store";

const HOUR = 3_600_000;

/**
 * Runs the schedules in this process: each job is this executable run again (the same command
 * line cron or a timer would run), one at a time. SIGHUP reloads the config; SIGTERM stops the
 * timers, lets a running job restart its stacks, then exits.
 */
export async function run(env: CommandEnv): Promise<number> {
  const ctx = openContext(env);
  let config = ctx.config;
  if (!jobsOf(config).some((j) => !j.unavailable)) {
    throw new AppError(
      "no schedule is configured: the daemon would have nothing to do",
      ExitCode.config,
      "Set [schedule] BACKUP (e.g. BACKUP=0 3 * * *) or a [stack:NAME] SCHEDULE in the config.",
    );
  }
  const lock = await acquireRepoLock({
    stateDir: config.stateDir,
    repository: `daemon ${config.restic.repository}`,
    owner: ctx.owner,
    log: ctx.log,
    onLost: (err) => env.abort(err),
  }).catch((err) => {
    if (err instanceof BusyError)
      throw new BusyError(
        `another daemon already runs the schedules of this repository (${err.message.replace(/^.*locked by /, "")})`,
        "Stop it first (one daemon per repository).",
      );
    throw err;
  });
  // A line per event on stderr; under --json a JSON line on stdout instead ({"type":"daemon","message":...}).
  const say = (line: string) => {
    if (env.globals.json) env.printer.result({ type: "daemon", at: new Date().toISOString(), message: line }, () => "");
    else env.printer.info(`${format.when(new Date().toISOString())} ${line}`);
  };
  const self = selfCommand();
  const globals = [...(env.globals.config ? ["--config", env.globals.config] : []), "--quiet"];
  const checkOverdue = () =>
    void notifyOverdue(ctx, config).catch((err) => ctx.log.warn({ err: errorMessage(err) }, "overdue check failed"));

  const scheduler = new Scheduler({
    run: async (job, signal) => {
      say(`${job.id}: started`);
      ctx.log.info({ job: job.id, args: job.args }, "scheduled job started");
      try {
        const r = await ctx.runner.run(self[0], [...self.slice(1), ...globals, ...job.args], {
          signal,
          child: "backup-tui", // the job reads our config overrides and credentials, as we do
          // On SIGTERM the job restarts its stacks before it exits: give it the time that takes.
          killGraceMs: (config.docker.stopTimeoutSec + config.docker.timeoutSec + 30) * 1000,
          onStdoutLine: (l) => ctx.log.debug({ job: job.id, out: l }, "job output"),
          okExitCodes: Array.from({ length: 256 }, (_, i) => i),
        });
        if (r.exitCode !== 0) say(`${job.id}: ${r.stderr.trim().split("\n").slice(-3).join(" | ") || "(no message)"}`);
        return r.exitCode;
      } catch (err) {
        if (err instanceof ToolError && err.reason === "aborted") return err.toolExitCode ?? ExitCode.failed;
        throw err;
      }
    },
    skipped: (job, reason) => {
      say(`${job.id}: skipped, ${reason}`);
      ctx.log.warn({ job: job.id, reason }, "scheduled job skipped");
      ctx.store.recordSkipped(job.kind as RunKind, job.id, reason, ctx.owner);
    },
    finished: (job, code, ms) => {
      const what = typeof code === "number" ? `exit ${code}` : `could not run: ${errorMessage(code)}`;
      say(`${job.id}: finished, ${what}, in ${format.ms(ms)}`);
      ctx.log[code === 0 ? "info" : "warn"](
        { job: job.id, exitCode: typeof code === "number" ? code : undefined, ms },
        "scheduled job finished",
      );
      checkOverdue();
    },
  });

  const arm = (jobs: Job[]) => {
    scheduler.schedule(jobs);
    for (const n of scheduler.nextRuns()) say(`${n.id}: next run ${format.when(n.next?.toISOString())}`);
    for (const j of jobs.filter((j) => j.unavailable)) say(`${j.id}: not scheduled (${j.unavailable})`);
  };
  arm(jobsOf(config));
  env.onReload(() => {
    try {
      const fresh = readConfig(env.globals);
      arm(jobsOf(fresh));
      config = fresh;
      say("configuration reloaded");
      ctx.log.info("daemon configuration reloaded");
    } catch (err) {
      say(`reload failed, the schedules stay as they were: ${errorMessage(err)}`);
      ctx.log.error({ err: errorMessage(err) }, "daemon reload failed");
    }
  });
  checkOverdue();
  const hourly = setInterval(checkOverdue, HOUR);

  await new Promise<void>((resolve) =>
    env.signal.aborted ? resolve() : env.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  clearInterval(hourly);
  const running = scheduler.state().running;
  if (running) say(`stopping: waiting for ${running} to stop and restart its stacks`);
  const dropped = await scheduler.stop(env.signal.reason);
  if (dropped.length) ctx.log.warn({ dropped }, "queued jobs dropped at shutdown");
  await lock.release();
  say("stopped");
  // Another process removed or replaced this daemon's lock: stopped as on SIGTERM, and said so.
  const lost = lock.lost();
  if (lost) throw lost;
  return ExitCode.ok;
}
