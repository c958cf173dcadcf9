import type { TransferProgress } from "../../rclone/rclone";
import type { BackupProgress } from "../../restic/restic";

export type Phase =
  | "pre-hook"
  | "dump"
  | "hot-pass"
  | "stopping"
  | "pausing"
  | "final-pass"
  | "backup"
  | "starting"
  | "post-hook"
  | "retention"
  | "verify"
  | "recover"
  | "cleanup"
  | "safety-snapshot"
  | "restoring"
  | "connect"
  | "check-local"
  | "check-remote"
  | "transfer"
  | "compare"
  | "retry";

export interface StackOutcome {
  stack: string;
  /** interrupted: a signal (Ctrl-C, SIGTERM) stopped its backup before it finished. */
  status: "succeeded" | "partial" | "failed" | "skipped" | "interrupted";
  durationMs: number;
  downtimeMs: number;
  snapshotId?: string;
  bytesAdded?: number;
  filesNew?: number;
  filesChanged?: number;
  unreadable?: string[];
  error?: string;
  /** What the run decided on its own and the summary repeats (the snapshot strategy's fallback). */
  notes?: string[];
  /** Containers we stopped that did not run again. */
  notRestarted?: Array<{ name: string; reason: string; logTail: string }>;
}

/** Progress and results, emitted by services; the CLI prints them, the TUI renders them. */
export type ServiceEvent =
  | { type: "info"; message: string; stack?: string }
  | { type: "warning"; message: string; stack?: string }
  | { type: "run-start"; runId: number; kind: string; stacks: string[] }
  | { type: "stack-start"; stack: string; strategy: string; twoPass: boolean }
  | { type: "phase"; stack: string; phase: Phase; detail?: string }
  | { type: "progress"; stack: string; pass: "hot" | "final" | "single"; progress: BackupProgress }
  | { type: "stack-done"; outcome: StackOutcome }
  | { type: "transfer"; what: "sync" | "pull"; attempt: number; progress: TransferProgress };

export type EventSink = (e: ServiceEvent) => void;
export const noEvents: EventSink = () => undefined;
