import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AppError, ExitCode } from "../errors";
import type { Runner } from "../exec/runner";
import { writeTextAtomic } from "../state/atomic-file";
import { assertLineSafe, MARK, RECOVER_UNIT, type UnitFile } from "./units";

export const SYSTEMD_DIR = "/etc/systemd/system";
export const CRON_DIR = "/etc/cron.d";
export const CRON_FILE = "backup-tui";

export interface InstallResult {
  dir: string;
  written: string[];
  removed: string[];
  /** systemctl calls made (units enabled and started), when installing into the live system. */
  activated: string[];
  /** What the user still has to run (units written elsewhere than the live directory). */
  todo: string[];
}

export const ours = (file: string) => {
  try {
    return readFileSync(file, "utf8").startsWith(MARK);
  } catch {
    return false;
  }
};

/** Files of ours in dir (they carry MARK), by name. */
export function installedUnits(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith("backup-tui") && /\.(service|timer)$/.test(n) && ours(join(dir, n)))
    .sort();
}

/** True when `dir` is systemd's own and systemd runs this machine: then we enable the timers too. */
export function liveSystemd(dir: string): boolean {
  return dir === SYSTEMD_DIR && existsSync("/run/systemd/system");
}

async function systemctl(runner: Runner, args: string[], activated: string[]): Promise<void> {
  await runner.run("systemctl", args, { timeoutMs: 120_000 });
  activated.push(`systemctl ${args.join(" ")}`);
}

/** Writes the units, removes units of ours no schedule asks for any more, and (live) enables the timers. */
export async function installSystemd(files: UnitFile[], dir: string, runner: Runner): Promise<InstallResult> {
  assertLineSafe("--dir", dir);
  const live = liveSystemd(dir);
  const wanted = new Set(files.map((f) => f.name));
  const stale = installedUnits(dir).filter((n) => !wanted.has(n));
  const r: InstallResult = { dir, written: [], removed: [], activated: [], todo: [] };
  const timers = files.filter((f) => f.name.endsWith(".timer")).map((f) => f.name);
  if (live && stale.length) await systemctl(runner, ["disable", "--now", ...stale], r.activated).catch(() => undefined);
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const path = join(dir, f.name);
    if (existsSync(path) && !ours(path))
      throw new AppError(
        `${path} exists and was not written by backup-tui; nothing was installed`,
        ExitCode.usage,
        "Move it away, or install into another directory with --dir.",
      );
  }
  for (const f of files) {
    writeTextAtomic(join(dir, f.name), f.text, 0o644);
    r.written.push(join(dir, f.name));
  }
  for (const n of stale) {
    rmSync(join(dir, n), { force: true });
    r.removed.push(join(dir, n));
  }
  const enable = ["enable", "--now", ...timers];
  if (live) {
    await systemctl(runner, ["daemon-reload"], r.activated);
    if (timers.length) await systemctl(runner, enable, r.activated);
    await systemctl(runner, ["enable", RECOVER_UNIT], r.activated);
  } else {
    r.todo.push(
      `copy the files to ${SYSTEMD_DIR} (or link them), then: systemctl daemon-reload && systemctl ${enable.join(" ")} && systemctl enable ${RECOVER_UNIT}`,
    );
  }
  return r;
}

export async function uninstallSystemd(dir: string, runner: Runner): Promise<InstallResult> {
  const r: InstallResult = { dir, written: [], removed: [], activated: [], todo: [] };
  const units = installedUnits(dir);
  if (liveSystemd(dir) && units.length) {
    await systemctl(
      runner,
      ["disable", "--now", ...units.filter((u) => u.endsWith(".timer") || u === RECOVER_UNIT)],
      r.activated,
    ).catch(() => undefined);
  }
  for (const n of units) {
    rmSync(join(dir, n), { force: true });
    r.removed.push(join(dir, n));
  }
  if (liveSystemd(dir) && units.length) await systemctl(runner, ["daemon-reload"], r.activated);
  return r;
}

export function installCron(text: string, dir: string): InstallResult {
  assertLineSafe("--dir", dir);
  const path = join(dir, CRON_FILE);
  if (existsSync(path) && !ours(path))
    throw new AppError(
      `${path} exists and was not written by backup-tui; nothing was installed`,
      ExitCode.usage,
      "Move it away, or install into another directory with --dir.",
    );
  mkdirSync(dir, { recursive: true });
  // cron ignores files in /etc/cron.d that others can write.
  writeTextAtomic(path, text, 0o644);
  return {
    dir,
    written: [path],
    removed: [],
    activated: [],
    todo:
      existsSync("/usr/sbin/cron") || existsSync("/usr/sbin/crond")
        ? []
        : ["no cron daemon was found on this machine: install cron (or use --systemd)"],
  };
}

export function uninstallCron(dir: string): InstallResult {
  const path = join(dir, CRON_FILE);
  const removed = ours(path) ? [path] : [];
  for (const p of removed) rmSync(p, { force: true });
  return { dir, written: [], removed, activated: [], todo: [] };
}

export interface UninstallResult {
  removed: string[];
  activated: string[];
  /** The directories looked in. */
  searched: string[];
  /** Nothing removed, but the other kind is installed where we looked: the flag that would find it. */
  otherKind?: { flag: "--systemd" | "--cron"; found: string[] };
}

/**
 * Removes what `schedule install` wrote: with --systemd or --cron only that kind, else both; in
 * --dir when given (the one directory holds either kind), else in the default directories.
 */
export async function uninstallSchedules(
  o: { systemd?: boolean; cron?: boolean; dir?: string },
  runner: Runner,
): Promise<UninstallResult> {
  const systemdDir = o.dir ?? SYSTEMD_DIR;
  const cronDir = o.dir ?? CRON_DIR;
  const results: InstallResult[] = [];
  if (!o.cron) results.push(await uninstallSystemd(systemdDir, runner));
  if (!o.systemd) results.push(uninstallCron(cronDir));
  const removed = results.flatMap((r) => r.removed);
  const out: UninstallResult = {
    removed,
    activated: results.flatMap((r) => r.activated),
    searched: [...new Set(results.map((r) => r.dir))],
  };
  if (!removed.length && o.systemd && ours(join(cronDir, CRON_FILE)))
    out.otherKind = { flag: "--cron", found: [join(cronDir, CRON_FILE)] };
  if (!removed.length && o.cron && installedUnits(systemdDir).length)
    out.otherKind = { flag: "--systemd", found: installedUnits(systemdDir).map((n) => join(systemdDir, n)) };
  return out;
}

/** Where schedules are installed now (default directories), for `schedule list`. */
export function installedAt(): string[] {
  const out: string[] = [];
  if (installedUnits(SYSTEMD_DIR).length) out.push(`systemd timers in ${SYSTEMD_DIR}`);
  if (ours(join(CRON_DIR, CRON_FILE))) out.push(`cron file ${join(CRON_DIR, CRON_FILE)}`);
  return out;
}
