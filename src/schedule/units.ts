import { ConfigError, UsageError } from "../errors";
import { describe, toCronFields, toOnCalendar } from "./cron";
import type { Job } from "./jobs";

/** The first line of every file we write: uninstall removes only files that carry it. */
export const MARK = "# Written by `backup-tui schedule install`; `backup-tui schedule uninstall` removes it.";

/** How the installed jobs call us: this executable, the config it read, the state dir it used. */
export interface Invocation {
  /** The executable (and, outside the single executable, node's script). */
  command: string[];
  configFile?: string;
  /** Set only when it came from BACKUP_TUI_STATE_DIR (the config's own is found again anyway). */
  stateDir?: string;
  /** Seconds a job gets to restart its stacks after SIGTERM (stop timeout plus Docker's). */
  stopGraceSec: number;
}

export interface UnitFile {
  name: string;
  text: string;
}

export const RECOVER_UNIT = "backup-tui-recover.service";

/** backup-tui-backup, backup-tui-stack-NAME, backup-tui-sync, backup-tui-sync-TARGET... */
export function unitBase(job: Job): string {
  return job.stack ? `backup-tui-stack-${job.stack}` : `backup-tui-${job.id.replace(":", "-")}`;
}

/** systemd's quoting for ExecStart: double quotes where needed, % doubled. */
function sdArg(a: string): string {
  const s = a.replace(/%/g, "%%").replace(/\$/g, "$$$$"); // systemd expands % specifiers and $VARIABLES
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Free text in a unit (Description=): systemd expands % specifiers there too. */
const sdText = (t: string) => t.replace(/%/g, "%%");

/** sh quoting for a cron line, % escaped (cron turns a bare % into a newline). */
function shArg(a: string): string {
  const s = /^[A-Za-z0-9_@+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
  return s.replace(/%/g, "\\%");
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A value as the user can read it: newlines, tabs and other control characters escaped. */
export const printable = (v: string) => JSON.stringify(v);

/**
 * A unit or cron line is one line per setting: a newline in a path would end it and start a
 * setting of the path's choosing; other control characters are refused with it. Checked for every
 * value that goes into one, before anything is rendered.
 */
export function assertLineSafe(what: string, value: string, kind: "config" | "usage" = "usage"): void {
  if (!CONTROL.test(value)) return;
  const message = `${what} ${printable(value)} holds a newline or another control character: it cannot go into a systemd unit or a cron line`;
  const hint = "Rename or move it to a path without control characters, then install again.";
  throw kind === "config" ? new ConfigError(message, hint) : new UsageError(message, hint);
}

function assertInvocationSafe(jobs: Job[], inv: Invocation): void {
  inv.command.forEach((c, i) => assertLineSafe(i === 0 ? "the executable path" : "the script path", c));
  if (inv.configFile) assertLineSafe("the config file path", inv.configFile, "config");
  if (inv.stateDir) assertLineSafe("the state directory (BACKUP_TUI_STATE_DIR)", inv.stateDir, "config");
  for (const j of jobs) for (const a of j.args) assertLineSafe(`job ${j.id}'s argument`, a, "config");
}

const globalArgs = (inv: Invocation) => [...(inv.configFile ? ["--config", inv.configFile] : []), "--quiet"];

/** One oneshot service and one timer per job, and the boot-time recover service. */
export function systemdUnits(jobs: Job[], inv: Invocation): UnitFile[] {
  assertInvocationSafe(jobs, inv);
  const env = inv.stateDir ? [`Environment=${sdArg(`BACKUP_TUI_STATE_DIR=${inv.stateDir}`)}`] : [];
  const exec = (args: string[]) => [...inv.command, ...globalArgs(inv), ...args].map(sdArg).join(" ");
  const service = (description: string, args: string[], o: { needs: string[]; extra: string[] }) =>
    [
      MARK,
      "[Unit]",
      `Description=${sdText(description)}`,
      `After=${o.needs.join(" ")}`,
      `Wants=${o.needs.filter((n) => n !== "docker.service").join(" ") || "docker.service"}`,
      "",
      "[Service]",
      "Type=oneshot",
      ...env,
      `ExecStart=${exec(args)}`,
      // SIGTERM goes to backup-tui alone: it stops restic and restarts the stacks itself, and
      // must not see docker or compose killed under it. Whatever is left gets SIGKILL after the grace.
      "KillMode=mixed",
      `TimeoutStopSec=${inv.stopGraceSec}`,
      ...o.extra,
      "",
    ].join("\n");
  const files: UnitFile[] = [];
  for (const job of jobs.filter((j) => !j.unavailable)) {
    const base = unitBase(job);
    const when = describe(job.schedule);
    files.push({
      name: `${base}.service`,
      text: service(`backup-tui ${job.id} (${job.key}: ${when})`, job.args, {
        needs: ["docker.service", "network-online.target"],
        extra: ["Nice=10", "IOSchedulingClass=best-effort", "IOSchedulingPriority=7"],
      }),
    });
    const seconds = job.schedule.fields[0] !== "0";
    files.push({
      name: `${base}.timer`,
      text: [
        MARK,
        "[Unit]",
        `Description=${sdText(`backup-tui ${job.id}: ${when} (${job.key} = ${job.schedule.expr})`)}`,
        "",
        "[Timer]",
        ...toOnCalendar(job.schedule).map((c) => `OnCalendar=${c}`),
        // A run missed while the machine was off happens once after boot.
        "Persistent=true",
        ...(seconds ? ["AccuracySec=1s"] : []),
        `Unit=${base}.service`,
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
      ].join("\n"),
    });
  }
  files.push({
    name: RECOVER_UNIT,
    text: service(
      "backup-tui: at boot, restart containers a backup cut off by a crash or power loss left stopped",
      ["recover", "--wait", "10m"],
      {
        needs: ["docker.service"],
        extra: ["", "[Install]", "WantedBy=multi-user.target"],
      },
    ),
  });
  return files;
}

/** An /etc/cron.d file: one line per job, and @reboot recover. */
export function cronFile(jobs: Job[], inv: Invocation, user: string): string {
  assertInvocationSafe(jobs, inv);
  assertLineSafe("the user name", user);
  const env = inv.stateDir ? `BACKUP_TUI_STATE_DIR=${shArg(inv.stateDir)} ` : "";
  const exec = (args: string[]) =>
    `${env}${[...inv.command, ...globalArgs(inv), ...args].map(shArg).join(" ")} >/dev/null`;
  const lines = [
    MARK,
    "# Errors and warnings go to cron's mail (MAILTO); everything is in backup-tui's log file.",
    "SHELL=/bin/sh",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "",
  ];
  for (const job of jobs.filter((j) => !j.unavailable)) {
    lines.push(`# ${job.id}: ${describe(job.schedule)} (${job.key} = ${job.schedule.expr})`);
    lines.push(`${toCronFields(job.schedule)} ${user} ${exec(job.args)}`);
  }
  lines.push("# At boot: restart containers a backup cut off by a crash or power loss left stopped.");
  lines.push(`@reboot ${user} ${exec(["recover", "--wait", "10m"])}`);
  return `${lines.join("\n")}\n`;
}
