import type { EventSink } from "../services/run/events";
import type { LockWait } from "../services/run/repository-lock";

/**
 * What a face (a CLI command, a TUI screen) hands a job: where its events go, the signal that
 * stops it (SIGINT/SIGTERM, the TUI's cancel) and how to wait for the repository lock. A lost
 * lock aborts the job's own signal (the run stops as on SIGTERM); `lock.onLost` hears of it too.
 */
export interface JobHooks {
  emit: EventSink;
  signal: AbortSignal;
  lock?: LockWait;
}
