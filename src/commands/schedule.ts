import { userInfo } from "node:os";
import { openContext, type CommandEnv } from "../app";
import { AppError, ExitCode, UsageError } from "../errors";
import { format, table } from "../output";
import { CronError } from "../schedule/cron";
import { btui, shellQuote } from "../command-hint";
import {
  CRON_DIR,
  installCron,
  installedAt,
  installSystemd,
  SYSTEMD_DIR,
  uninstallSchedules,
  type InstallResult,
} from "../schedule/install";
import { jobsOf, type Job } from "../schedule/jobs";
import { invocation } from "../schedule/self";
import { cronFile, systemdUnits } from "../schedule/units";
import type { ServiceContext } from "../services/run/context";
import { scheduleRows } from "../services/status/schedules";

interface Options {
  systemd?: boolean;
  cron?: boolean;
  dir?: string;
}

export async function run(env: CommandEnv, action: string, o: Options): Promise<number> {
  if (!["list", "install", "uninstall"].includes(action))
    throw new UsageError(
      `unknown schedule action ${JSON.stringify(action)}`,
      "Use list, install --systemd|--cron, or uninstall.",
    );
  if (o.systemd && o.cron) throw new UsageError("--systemd and --cron are alternatives: pick one");
  const ctx = openContext(env);
  if (action === "list") return list(env, ctx);
  if (action === "install") {
    if (!o.systemd && !o.cron)
      throw new UsageError(
        "schedule install needs --systemd or --cron",
        `Or run \`${btui("daemon")}\` under your own supervisor.`,
      );
    const jobs = jobsOf(ctx.config);
    if (!jobs.some((j) => !j.unavailable)) {
      throw new AppError(
        "no schedule is configured: nothing to install",
        ExitCode.config,
        "Set [schedule] BACKUP (e.g. BACKUP=0 3 * * *) or a [stack:NAME] SCHEDULE in the config.",
      );
    }
    const r = await convert(jobs, () =>
      o.systemd
        ? installSystemd(systemdUnits(jobs, invocation(ctx.config)), o.dir ?? SYSTEMD_DIR, ctx.runner)
        : installCron(cronFile(jobs, invocation(ctx.config), userInfo().username), o.dir ?? CRON_DIR),
    );
    ctx.log.info({ written: r.written, removed: r.removed, activated: r.activated }, "schedule installed");
    return report(env, "schedule-install", r, jobs);
  }
  const r = await uninstallSchedules(o, ctx.runner);
  ctx.log.info({ removed: r.removed }, "schedule uninstalled");
  env.printer.result({ type: "schedule-uninstall", ...r }, () => {
    if (r.removed.length) return `removed:\n  ${r.removed.join("\n  ")}`;
    if (!r.otherKind) return `nothing of backup-tui's was installed in ${r.searched.join(" or ")}`;
    const [asked, found] = o.cron ? ["cron file", "systemd units"] : ["systemd units", "cron file"];
    return `no ${asked} of backup-tui's in ${r.searched.join(" or ")}, but its ${found}: ${r.otherKind.found.join(", ")}. To remove them: \`${btui(`schedule uninstall ${r.otherKind.flag}${o.dir ? ` --dir ${shellQuote(o.dir)}` : ""}`)}\``;
  });
  return ExitCode.ok;
}

/** A schedule systemd or cron cannot express is a config problem naming its key. */
async function convert(jobs: Job[], install: () => Promise<InstallResult> | InstallResult): Promise<InstallResult> {
  try {
    return await install();
  } catch (err) {
    if (!(err instanceof CronError)) throw err;
    const job = jobs.find((j) => err.message.startsWith(`${j.schedule.expr}:`));
    throw new AppError(`${job?.key ?? "a schedule"}: ${err.message}`, ExitCode.config);
  }
}

function report(env: CommandEnv, type: string, r: InstallResult, jobs: Job[]): number {
  const skipped = jobs.filter((j) => j.unavailable).map((j) => ({ job: j.id, why: j.unavailable! }));
  env.printer.result({ type, ...r, skipped }, () =>
    [
      `wrote ${r.written.length} file(s) in ${r.dir}:`,
      ...r.written.map((f) => `  ${f}`),
      ...(r.removed.length ? ["removed (no longer scheduled):", ...r.removed.map((f) => `  ${f}`)] : []),
      ...r.activated.map((c) => `ran: ${c}`),
      ...skipped.map((s) => `not scheduled: ${s.job} (${s.why})`),
      ...r.todo.map((t) => `to do: ${t}`),
    ].join("\n"),
  );
  return ExitCode.ok;
}

/** The automation dashboard in text: each job, when, its last run and its next. */
function list(env: CommandEnv, ctx: ServiceContext): number {
  const rows = scheduleRows(ctx).map(({ id, next, last, ...r }) => ({
    job: id,
    ...r,
    next: next[0],
    last: last && {
      id: last.id,
      startedAt: last.startedAt,
      status: last.status,
      exitCode: last.exitCode,
      error: last.error,
    },
  }));
  const installed = installedAt();
  env.printer.result({ type: "schedule", installed, jobs: rows }, () => {
    if (!rows.length)
      return "No schedules configured. Set [schedule] BACKUP=0 3 * * * (and SYNC, VERIFY, PRUNE) or [stack:NAME] SCHEDULE in the config.";
    const out = table(
      ["JOB", "CRON", "WHEN", "LAST RUN", "RESULT", "NEXT RUN", "ENABLED"],
      rows.map((r) => [
        r.job,
        r.cron,
        r.description,
        format.when(r.last?.startedAt),
        r.last?.status ?? "-",
        format.when(r.next),
        r.enabled ? "yes" : `no: ${r.why}`,
      ]),
    );
    const how = installed.length
      ? `installed: ${installed.join("; ")}`
      : `not installed: run \`${btui("schedule install --systemd")}\` (or --cron), or \`${btui("daemon")}\``;
    return `${out}\n${how}`;
  });
  return ExitCode.ok;
}
