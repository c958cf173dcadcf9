import type { Logger } from "../../src/log";

/** One line a logger was given: its level, message and fields. */
export interface LoggedLine {
  level: "info" | "warn" | "error" | "debug";
  msg: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps what it is given (info, warn, error, debug), for asserting on log lines. */
export function capturedLog(): { log: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: LoggedLine["level"]) =>
    (o: unknown, msg?: string): void =>
      void lines.push(
        typeof o === "string"
          ? { level, msg: o, fields: {} }
          : { level, msg: msg ?? "", fields: (o ?? {}) as Record<string, unknown> },
      );
  const log = { info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") } as Record<string, unknown>;
  log.child = () => log;
  return { log: log as unknown as Logger, lines };
}
