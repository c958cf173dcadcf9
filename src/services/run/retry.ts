import { errorMessage } from "../../errors";

export interface RetryOptions {
  attempts: number;
  /** First wait; doubles each time, with up to +50% jitter. */
  baseMs: number;
  maxMs?: number;
  signal?: AbortSignal;
  /** false: give up at once (wrong credentials, unknown remote...). */
  retryable?: (err: unknown) => boolean;
  onRetry?: (attempt: number, waitMs: number, err: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs fn up to `attempts` times with exponential backoff and jitter. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last: unknown;
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      last = err;
      if (o.signal?.aborted || attempt === o.attempts || (o.retryable && !o.retryable(err))) break;
      const wait = Math.min(o.maxMs ?? 300_000, o.baseMs * 2 ** (attempt - 1)) * (1 + Math.random() / 2);
      o.onRetry?.(attempt, Math.round(wait), err);
      await sleep(wait);
    }
  }
  throw last;
}

export const describeRetry = (attempt: number, waitMs: number, err: unknown) =>
  `attempt ${attempt} failed (${errorMessage(err).split("\n")[0]}); retrying in ${(waitMs / 1000).toFixed(1)} s`;
