import { AppError, ExitCode, ToolError, errorMessage } from "../../errors";

export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

/** A tool failure may pass (network); a classified one (credentials, unknown remote) will not. */
export const retryableRemoteError = (err: unknown) => err instanceof ToolError || !(err instanceof AppError);

/** Once the retries are used up, one message that says what failed, how often, and what to do. */
export function gaveUp(err: unknown, what: string, attempts: number, signal: AbortSignal, hint: string): unknown {
  if (signal.aborted || !retryableRemoteError(err) || attempts < 2) return err;
  return new AppError(
    `${what} failed after ${attempts} attempts: ${errorMessage(err).split("\n")[0]}`,
    ExitCode.failed,
    hint,
    { cause: err },
  );
}
