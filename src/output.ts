import { redact } from "./exec/redact";
import type { ServiceEvent } from "./services/run/events";

export interface PrinterOptions {
  json: boolean;
  quiet: boolean;
  color: boolean;
  /** stderr is a terminal: progress may redraw one line. */
  tty: boolean;
}

import { format } from "./format";
import { transferFraction, transferText } from "./rclone/progress-text";

export { format };
const fmtBytes = format.bytes;
const fmtMs = format.ms;

/** Results to stdout, messages and progress to stderr; --json switches the format, never the logic. */
export class Printer {
  private progressShown = false;
  private lastProgressAt = 0;
  constructor(readonly o: PrinterOptions) {}

  /** Everything shown passes through redact(): credentials in URLs never reach the terminal. */
  private write(stream: NodeJS.WriteStream, text: string): void {
    stream.write(redact(text));
  }

  private paint(code: number, s: string): string {
    return this.o.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  /** A command's result: JSON on stdout under --json, else the text renderer. */
  result(data: unknown, text: () => string): void {
    this.clearProgress();
    if (this.o.json) this.write(process.stdout, JSON.stringify(data) + "\n");
    else {
      const t = text();
      if (t) this.write(process.stdout, t.endsWith("\n") ? t : `${t}\n`);
    }
  }

  /**
   * Text built into the executable that holds no secret (the example config): written as it is,
   * because redact() would mangle its sample `RESTIC_PASSWORD=change-me` lines. Never for data.
   */
  builtInText(text: string): void {
    this.clearProgress();
    if (this.o.json) process.stdout.write(JSON.stringify({ type: "text", text }) + "\n");
    else process.stdout.write(text);
  }

  info(message: string): void {
    if (this.o.quiet || this.o.json) return;
    this.clearProgress();
    this.write(process.stderr, `${message}\n`);
  }

  warn(message: string): void {
    this.clearProgress();
    if (this.o.json) this.write(process.stderr, JSON.stringify({ type: "warning", message }) + "\n");
    else this.write(process.stderr, `${this.paint(33, "warning:")} ${message}\n`);
  }

  error(message: string, hint?: string, exitCode?: number): void {
    this.clearProgress();
    if (this.o.json) this.write(process.stderr, JSON.stringify({ type: "error", message, hint, exitCode }) + "\n");
    else
      this.write(
        process.stderr,
        `${this.paint(31, "error:")} ${message}\n${hint ? `${this.paint(2, "hint:")} ${hint}\n` : ""}`,
      );
  }

  /** Service events: JSON lines on stdout under --json; progress lines on stderr otherwise. */
  event(e: ServiceEvent): void {
    if (this.o.json) {
      this.write(process.stdout, JSON.stringify({ ...e, at: new Date().toISOString() }) + "\n");
      return;
    }
    if (e.type === "progress") return this.progress(e);
    if (e.type === "transfer") return this.transfer(e);
    if (e.type === "warning") return this.warn(e.stack ? `${e.stack}: ${e.message}` : e.message);
    if (this.o.quiet) return;
    const line = describe(e);
    if (line) this.info(line);
  }

  private progress(e: Extract<ServiceEvent, { type: "progress" }>): void {
    const p = e.progress;
    const eta = p.secondsRemaining ? ` ETA ${p.secondsRemaining}s` : "";
    this.line(
      p.percent,
      `${e.stack} [${e.pass}] ${Math.floor(p.percent * 100)}% ${fmtBytes(p.bytesDone)}/${fmtBytes(p.totalBytes)} ${p.filesDone}/${p.totalFiles} files${eta}`,
    );
  }

  private transfer(e: Extract<ServiceEvent, { type: "transfer" }>): void {
    // The final stats are always shown: throttling them away left the first tick ("17% ... 0 B/s") standing.
    this.line(transferFraction(e.progress), transferText(e.what, e.attempt, e.progress), e.progress.final);
  }

  /** One progress line: redrawn in place on a terminal, every 10 s otherwise. */
  private line(fraction: number, text: string, always = false): void {
    if (this.o.quiet) return;
    const now = Date.now();
    if (!always && now - this.lastProgressAt < (this.o.tty ? 200 : 10_000)) return;
    this.lastProgressAt = now;
    if (this.o.tty) {
      const width = process.stderr.columns || 80;
      this.write(process.stderr, `\r${bar(fraction, 20)} ${text}`.slice(0, width - 1).padEnd(width - 1));
      this.progressShown = true;
    } else this.write(process.stderr, `  ${text}\n`);
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.write(process.stderr, `\r${" ".repeat((process.stderr.columns || 80) - 1)}\r`);
    this.progressShown = false;
  }
}

function bar(fraction: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

function describe(e: ServiceEvent): string | undefined {
  switch (e.type) {
    case "info":
      return e.stack ? `${e.stack}: ${e.message}` : e.message;
    case "run-start":
      return `${e.kind} run #${e.runId}: ${e.stacks.join(", ") || "(nothing)"}`;
    case "stack-start":
      return `▶ ${e.stack}: strategy ${e.strategy}${e.twoPass ? ", two-pass" : ""}`;
    case "phase": {
      const names: Record<string, string> = {
        "pre-hook": "running pre-hook",
        dump: "dumping databases (stack running)",
        "hot-pass": "hot pass (stack running)",
        stopping: "stopping",
        pausing: "pausing",
        "final-pass": "final pass",
        backup: "backing up",
        starting: "starting again",
        "post-hook": "running post-hook",
        retention: "applying retention",
        verify: "verifying the repository",
        recover: "recovering",
        cleanup: "cleaning up",
        "safety-snapshot": "safety snapshot of the current data",
        restoring: "restoring",
        connect: "connecting to",
        "check-local": "checking the repository",
        "check-remote": "checking the remote",
        transfer: "transferring",
        compare: "comparing the copy with the original",
        retry: "retrying",
      };
      const who = e.stack === "*" ? "" : `${e.stack}: `;
      return `  ${who}${names[e.phase] ?? e.phase}${e.detail ? ` (${e.detail})` : ""}`;
    }
    case "stack-done": {
      const o = e.outcome;
      const mark = o.status === "succeeded" ? "✔" : o.status === "partial" ? "!" : "✘";
      const extra =
        o.status === "failed"
          ? `: ${o.error?.split("\n")[0] ?? ""}`
          : o.status === "interrupted"
            ? `, downtime ${fmtMs(o.downtimeMs)}`
            : ` ${o.snapshotId?.slice(0, 8) ?? ""}, +${fmtBytes(o.bytesAdded)}, downtime ${fmtMs(o.downtimeMs)}`;
      return `${mark} ${o.stack} ${o.status}${extra}`;
    }
    default:
      return undefined;
  }
}

/** A plain text table: columns padded to the widest cell. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}
