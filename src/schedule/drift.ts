import { btui } from "../command-hint";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import type { Config } from "../config/types";
import { CRON_DIR, CRON_FILE, installedUnits, ours, SYSTEMD_DIR } from "./install";
import { jobsOf } from "./jobs";
import { invocation } from "./self";
import { cronFile, systemdUnits } from "./units";

const read = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

/**
 * Installed timers or cron lines that no longer say what the config says (a job paused, added,
 * changed): each entry names what differs and the command that writes them again.
 */
export function scheduleDrift(config: Config, dirs: { systemd?: string; cron?: string } = {}): string[] {
  const out: string[] = [];
  let jobs;
  try {
    jobs = jobsOf(config);
  } catch {
    return out; // a bad cron expression is reported elsewhere
  }
  const systemdDir = dirs.systemd ?? SYSTEMD_DIR;
  const installed = installedUnits(systemdDir);
  if (installed.length) {
    try {
      const wanted = systemdUnits(jobs, invocation(config));
      const names = new Set(wanted.map((f) => f.name));
      const stale = installed.filter((n) => !names.has(n));
      const missing = wanted.filter((f) => !installed.includes(f.name)).map((f) => f.name);
      const changed = wanted
        .filter((f) => installed.includes(f.name) && read(join(systemdDir, f.name)) !== f.text)
        .map((f) => f.name);
      const what = [
        stale.length ? `no longer wanted: ${stale.join(", ")}` : "",
        missing.length ? `missing: ${missing.join(", ")}` : "",
        changed.length ? `changed: ${changed.join(", ")}` : "",
      ].filter(Boolean);
      if (what.length)
        out.push(
          `the systemd timers in ${systemdDir} differ from the config (${what.join("; ")}): run \`${btui("schedule install --systemd")}\` again`,
        );
    } catch {
      // a schedule systemd cannot express: `schedule install` says so
    }
  }
  const cronPath = join(dirs.cron ?? CRON_DIR, CRON_FILE);
  if (ours(cronPath)) {
    const text = read(cronPath) ?? "";
    const user = /^@reboot (\S+) /m.exec(text)?.[1] ?? userInfo().username;
    try {
      if (cronFile(jobs, invocation(config), user) !== text)
        out.push(`the cron file ${cronPath} differs from the config: run \`${btui("schedule install --cron")}\` again`);
    } catch {
      // as above
    }
  }
  return out;
}
