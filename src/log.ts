import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { redact } from "./exec/redact";

/** The logging surface services and tools depend on. */
export type Logger = Pick<pino.Logger, "debug" | "info" | "warn" | "error" | "child">;

export interface LogOptions {
  file?: string;
  /** Level written to stderr; undefined writes nothing there (the TUI, --quiet). */
  stderrLevel?: pino.Level;
  fileLevel?: pino.Level;
  maxBytes?: number;
  keep?: number;
}

const REDACT_PATHS = ["password", "*.password", "env.RESTIC_PASSWORD", "token", "*.token", "secret", "*.secret"];

/** Size-capped rotation at start-up: backup-tui.log → .1 → .2 … */
export function rotate(file: string, maxBytes: number, keep: number): void {
  if (!existsSync(file) || statSync(file).size < maxBytes) return;
  for (let i = keep - 1; i >= 1; i--) {
    if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  }
  renameSync(file, `${file}.1`);
}

/** Human-readable stderr lines: "level: message key=value". */
function stderrStream(): Writable {
  const names: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
  return new Writable({
    write(chunk, _enc, done) {
      try {
        const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(chunk.toString());
        const extra = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ");
        process.stderr.write(redact(`${names[level] ?? level}: ${msg ?? ""}${extra ? ` ${extra}` : ""}`) + "\n");
      } catch {
        process.stderr.write(chunk);
      }
      done();
    },
  });
}

export function createLogger(o: LogOptions): pino.Logger {
  const streams: pino.StreamEntry[] = [];
  if (o.file) {
    try {
      mkdirSync(dirname(o.file), { recursive: true, mode: 0o700 });
      rotate(o.file, o.maxBytes ?? 10 * 1024 * 1024, o.keep ?? 3);
      streams.push({
        level: o.fileLevel ?? "info",
        stream: pino.destination({ dest: o.file, sync: true, mode: 0o600 }),
      });
    } catch {
      // A log file we cannot write must not stop a backup; stderr still works.
    }
  }
  if (o.stderrLevel) streams.push({ level: o.stderrLevel, stream: stderrStream() });
  const levels = streams.map((s) => pino.levels.values[s.level as string] ?? 30);
  const level = streams.length ? pino.levels.labels[Math.min(...levels)] : "silent";
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: "***" },
      base: { pid: process.pid },
      // Credentials inside strings (user:pass@ in URLs, NAME_PASSWORD=...) are masked too.
      formatters: { log: (obj) => JSON.parse(redact(JSON.stringify(obj))) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? redact(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    pino.multistream(streams),
  );
}

/** A logger that drops everything (tests, early start-up). */
export const silentLogger: Logger = pino({ level: "silent" });
