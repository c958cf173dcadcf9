import { useCallback, useReducer, useRef } from "react";
import { AppError, BusyError, errorMessage } from "../errors";
import type { BackupReport } from "../services/backup/backup";
import type { Phase, ServiceEvent, StackOutcome } from "../services/run/events";
import type { BackupProgress } from "../restic/restic";
import type { TuiBackend } from "./backend";

export interface StackRow {
  stack: string;
  phase?: Phase;
  detail?: string;
  strategy?: string;
  pass?: "hot" | "final" | "single";
  progress?: BackupProgress;
  outcome?: StackOutcome;
}

export interface BackupRunState {
  status: "idle" | "running" | "done" | "error";
  /** Who asked: names (one stack from the dashboard) or undefined (the enabled stacks). */
  targets?: string[];
  runId?: number;
  rows: StackRow[];
  /** The last events as text, newest last. */
  log: string[];
  /** Run-wide phase: retention, verify, cleanup. */
  phase?: string;
  aborting: boolean;
  report?: BackupReport;
  error?: { message: string; hint?: string; busy: boolean };
}

export type BackupRunAction =
  | { type: "start"; targets?: string[] }
  | { type: "event"; event: ServiceEvent }
  | { type: "abort" }
  | { type: "reset" }
  | { type: "finished"; report: BackupReport }
  | { type: "failed"; error: unknown };

export const LOG_LINES = 50;
export const idleRun: BackupRunState = { status: "idle", rows: [], log: [], aborting: false };

/** An event as one log line (progress ticks and transfers are not lines). */
export function describeEvent(e: ServiceEvent): string | undefined {
  switch (e.type) {
    case "info":
    case "warning":
      return `${e.type === "warning" ? "warning: " : ""}${e.stack ? `${e.stack}: ` : ""}${e.message}`;
    case "run-start":
      return `run #${e.runId}: ${e.stacks.join(", ") || "(nothing)"}`;
    case "stack-start":
      return `${e.stack}: strategy ${e.strategy}${e.twoPass ? ", two-pass" : ""}`;
    case "phase":
      return `${e.stack === "*" ? "" : `${e.stack}: `}${e.phase}${e.detail ? ` (${e.detail})` : ""}`;
    case "stack-done": {
      const o = e.outcome;
      return `${o.stack}: ${o.status}${o.snapshotId ? ` snapshot ${o.snapshotId.slice(0, 8)}` : ""}${o.error ? `: ${o.error.split("\n")[0]}` : ""}`;
    }
    default:
      return undefined; // progress ticks and transfers update rows, not the log
  }
}

function upsert(rows: StackRow[], stack: string, patch: Partial<StackRow>): StackRow[] {
  const i = rows.findIndex((r) => r.stack === stack);
  if (i < 0) return [...rows, { stack, ...patch }];
  const next = rows.slice();
  next[i] = { ...rows[i], ...patch };
  return next;
}

/** Service events → what the Backup screen shows. Pure, so it is tested without Ink. */
export function backupRunReducer(s: BackupRunState, a: BackupRunAction): BackupRunState {
  switch (a.type) {
    case "start":
      return { ...idleRun, status: "running", targets: a.targets };
    case "reset":
      return s.status === "running" ? s : idleRun;
    case "abort":
      return s.status === "running"
        ? {
            ...s,
            aborting: true,
            log: [...s.log, "aborting: stopping restic and restarting stacks…"].slice(-LOG_LINES),
          }
        : s;
    case "finished":
      return { ...s, status: "done", report: a.report, phase: undefined };
    case "failed": {
      const err = a.error;
      const hint = err instanceof AppError ? err.hint : undefined;
      return {
        ...s,
        status: "error",
        phase: undefined,
        error: { message: errorMessage(err), hint, busy: err instanceof BusyError },
      };
    }
    case "event": {
      const e = a.event;
      const line = describeEvent(e);
      const log = line ? [...s.log, line].slice(-LOG_LINES) : s.log;
      switch (e.type) {
        case "run-start":
          return {
            ...s,
            log,
            runId: e.runId,
            rows: e.stacks.map((stack) => s.rows.find((r) => r.stack === stack) ?? { stack }),
          };
        case "stack-start":
          return { ...s, log, rows: upsert(s.rows, e.stack, { strategy: e.strategy }) };
        case "phase":
          if (e.stack === "*") return { ...s, log, phase: e.phase };
          return { ...s, log, rows: upsert(s.rows, e.stack, { phase: e.phase, detail: e.detail }) };
        case "progress":
          return { ...s, rows: upsert(s.rows, e.stack, { pass: e.pass, progress: e.progress }) };
        case "stack-done":
          return { ...s, log, rows: upsert(s.rows, e.outcome.stack, { outcome: e.outcome, phase: undefined }) };
        default:
          return { ...s, log };
      }
    }
  }
}

export interface BackupRun {
  state: BackupRunState;
  running: boolean;
  /** Starts a run of `names`, or of the enabled stacks when undefined. */
  start(names?: string[]): void;
  /** Aborts through the same AbortSignal the services use: restic stops, stacks are restarted. */
  abort(): void;
  reset(): void;
}

/** One backup run at a time, owned by the App so it survives screen changes and Ctrl-C can reach it. */
export function useBackupRun(backend: TuiBackend): BackupRun {
  const [state, dispatch] = useReducer(backupRunReducer, idleRun);
  const controller = useRef<AbortController | undefined>(undefined);
  const start = useCallback(
    (names?: string[]) => {
      if (controller.current) return;
      const c = new AbortController();
      controller.current = c;
      dispatch({ type: "start", targets: names });
      backend
        .runBackup(names, c.signal, (event) => dispatch({ type: "event", event }))
        .then(
          (report) =>
            report.fatal ? dispatch({ type: "failed", error: report.fatal }) : dispatch({ type: "finished", report }),
          (error) => dispatch({ type: "failed", error }),
        )
        .finally(() => {
          controller.current = undefined;
        });
    },
    [backend],
  );
  const abort = useCallback(() => {
    if (!controller.current || controller.current.signal.aborted) return;
    controller.current.abort("SIGINT");
    dispatch({ type: "abort" });
  }, []);
  const reset = useCallback(() => {
    if (!controller.current) dispatch({ type: "reset" });
  }, []);
  return { state, running: state.status === "running", start, abort, reset };
}
