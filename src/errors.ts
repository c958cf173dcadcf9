/** Exit codes, as documented in the README. Only cli.ts turns them into process exits. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  serviceDown: 4,
  busy: 75,
  config: 78,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: a message, a hint on how to fix it, and an exit code. */
export class AppError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad arguments, or a guarded action refused. */
export class UsageError extends AppError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** A configuration problem: names the file and key where known. */
export class ConfigError extends AppError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.config, hint);
  }
}

/** The repository is locked by another job. */
export class BusyError extends AppError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.busy, hint);
  }
}

/** An external program failed. The command is already redacted. */
export class ToolError extends AppError {
  constructor(
    message: string,
    readonly command: string,
    readonly toolExitCode: number | undefined,
    readonly stderrTail: string,
    readonly reason: "exit" | "timeout" | "aborted" | "spawn",
    hint?: string,
  ) {
    super(message, ExitCode.failed, hint);
  }
}

/** The run was interrupted by a signal; stacks have been restarted. */
export class InterruptedError extends AppError {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`, signalExitCode(signal));
  }
}

export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === "SIGHUP" ? ExitCode.sighup : signal === "SIGINT" ? ExitCode.sigint : ExitCode.sigterm;
}

/**
 * The exit code a run ended by its abort signal records and exits with: 130/143/129 for the
 * signal that aborted it (an abort without a signal name, e.g. the TUI's Ctrl-C: 130).
 */
export function abortExitCode(signal: AbortSignal): number {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason.exitCode; // stopped for a reason of ours (the repository lock was lost)
  return reason === "SIGINT" || reason === "SIGTERM" || reason === "SIGHUP" ? signalExitCode(reason) : ExitCode.sigint;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
