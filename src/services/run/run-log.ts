import { pathExists, readText } from "../../fsops/probe";
import { join } from "node:path";
import type { RunRow } from "../../state/store";

/** One line of backup-tui.log, parsed. */
export interface LogEntry {
  time: number;
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  /** The rest of the line's fields (event, err, stack...). */
  fields: Record<string, unknown>;
}

const LEVELS: Record<number, LogEntry["level"]> = { 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "error" };
/** Log lines may be written just before startRun and just after finishRun. */
const SLACK_MS = 2000;

/** The log files, oldest first: backup-tui.log.3, .2, .1, backup-tui.log (rotated at start-up). */
export function logFiles(stateDir: string, keep = 3): string[] {
  const base = join(stateDir, "backup-tui.log");
  const rotated = Array.from({ length: keep }, (_, i) => `${base}.${keep - i}`);
  return [...rotated, base].filter((f) => pathExists(f));
}

/**
 * A run's lines from the log: those its process (the run's pid) wrote between its start and
 * its finish (still running: up to now). Lines are JSON (pino); anything else is skipped.
 * `max` keeps the newest lines of a very long run. The same process's runs before and after
 * (the TUI, the daemon) bound the window, so a neighbour's lines never count as this run's.
 */
export function runLog(
  stateDir: string,
  run: Pick<RunRow, "pid" | "startedAt" | "finishedAt">,
  neighbours: { prevFinished?: string; nextStarted?: string } = {},
  max = 5000,
): LogEntry[] {
  if (run.pid === undefined) return [];
  let from = Date.parse(run.startedAt) - SLACK_MS;
  let to = (run.finishedAt ? Date.parse(run.finishedAt) : Date.now()) + SLACK_MS;
  if (neighbours.prevFinished) from = Math.max(from, Date.parse(neighbours.prevFinished) + 1);
  if (neighbours.nextStarted) to = Math.min(to, Date.parse(neighbours.nextStarted) - 1);
  const out: LogEntry[] = [];
  for (const file of logFiles(stateDir)) {
    let text: string;
    try {
      text = readText(file);
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      // Cheap filters before JSON.parse: most lines belong to other processes.
      if (!line.includes(`"pid":${run.pid},`) && !line.includes(`"pid":${run.pid}}`)) continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const time = Number(o.time);
      if (o.pid !== run.pid || !(time >= from && time <= to)) continue;
      const { level, time: _t, pid: _p, hostname: _h, msg, ...fields } = o;
      out.push({ time, level: LEVELS[Number(level)] ?? "info", msg: String(msg ?? ""), fields });
      if (out.length > max) out.shift();
    }
  }
  return out;
}
