import { useCallback, useReducer, useRef } from "react";
import { AppError, BusyError, errorMessage } from "../errors";
import type { EventSink, ServiceEvent } from "../services/run/events";
import type { TransferProgress } from "../rclone/rclone";
import type { DisasterReport } from "../services/disaster/disaster";
import { describeEvent, LOG_LINES } from "./use-backup-run";

/** Runs other than a backup the TUI starts: a restore, a sync, a verify, a bare-metal recovery. */
export type TaskKind = "restore" | "sync" | "verify" | "disaster";

/** What a task's work resolves to: the summary lines, and (a recovery) its report. */
export interface TaskResult {
  ok: boolean;
  summary: string[];
  disaster?: DisasterReport;
}

export interface TaskState {
  status: "idle" | "running" | "done" | "error";
  kind?: TaskKind;
  /** What runs, in words: "restore /srv/web/conf of stack web from c53e77c8". */
  title: string;
  /** The newest phase: "restoring /srv/web/conf", "transfer". */
  phase?: string;
  transfer?: TransferProgress;
  log: string[];
  aborting: boolean;
  startedAt?: number;
  finishedAt?: number;
  /** done: did it succeed (a verify that found damage, a restore that left a container down: false). */
  ok?: boolean;
  summary: string[];
  /** A finished recovery's report (the disaster screen draws it). */
  disaster?: DisasterReport;
  error?: { message: string; hint?: string; busy: boolean };
}

export type TaskAction =
  | { type: "start"; kind: TaskKind; title: string; at: number }
  | { type: "event"; event: ServiceEvent }
  | { type: "abort" }
  | { type: "finished"; ok: boolean; summary: string[]; disaster?: DisasterReport; at: number }
  | { type: "failed"; error: unknown; at: number };

export const idleTask: TaskState = { status: "idle", title: "", log: [], aborting: false, summary: [] };

/** Service events → what the run screen shows for a restore, sync or verify. Pure. */
export function taskReducer(s: TaskState, a: TaskAction): TaskState {
  switch (a.type) {
    case "start":
      return { ...idleTask, status: "running", kind: a.kind, title: a.title, startedAt: a.at };
    case "abort":
      return s.status === "running"
        ? {
            ...s,
            aborting: true,
            log: [...s.log, "aborting: stopping the child processes and restarting stacks…"].slice(-LOG_LINES),
          }
        : s;
    case "finished":
      return { ...s, status: "done", ok: a.ok, summary: a.summary, disaster: a.disaster, finishedAt: a.at };
    case "failed": {
      const err = a.error;
      return {
        ...s,
        status: "error",
        ok: false,
        finishedAt: a.at,
        error: {
          message: errorMessage(err),
          hint: err instanceof AppError ? err.hint : undefined,
          busy: err instanceof BusyError,
        },
      };
    }
    case "event": {
      const e = a.event;
      if (e.type === "transfer")
        return { ...s, transfer: e.progress, phase: `${e.what}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}` };
      const line = describeEvent(e);
      const log = line ? [...s.log, line].slice(-LOG_LINES) : s.log;
      if (e.type === "phase") return { ...s, log, phase: `${e.phase}${e.detail ? ` ${e.detail}` : ""}` };
      return { ...s, log };
    }
  }
}

export interface TaskRun {
  state: TaskState;
  running: boolean;
  /** Starts `work` unless something runs; its result becomes the summary. */
  start(kind: TaskKind, title: string, work: (signal: AbortSignal, emit: EventSink) => Promise<TaskResult>): boolean;
  /** Through the AbortSignal the services use: child processes stop, stopped stacks are started again. */
  abort(): void;
}

/** One restore, sync or verify at a time, owned by the App (like the backup run) so Ctrl-C reaches it anywhere. */
export function useTaskRun(): TaskRun {
  const [state, dispatch] = useReducer(taskReducer, idleTask);
  const controller = useRef<AbortController | undefined>(undefined);
  const start = useCallback<TaskRun["start"]>((kind, title, work) => {
    if (controller.current) return false;
    const c = new AbortController();
    controller.current = c;
    dispatch({ type: "start", kind, title, at: Date.now() });
    work(c.signal, (event) => dispatch({ type: "event", event }))
      .then(
        (r) => dispatch({ type: "finished", ok: r.ok, summary: r.summary, disaster: r.disaster, at: Date.now() }),
        (error) => dispatch({ type: "failed", error, at: Date.now() }),
      )
      .finally(() => {
        controller.current = undefined;
      });
    return true;
  }, []);
  const abort = useCallback(() => {
    if (!controller.current || controller.current.signal.aborted) return;
    controller.current.abort("SIGINT");
    dispatch({ type: "abort" });
  }, []);
  return { state, running: state.status === "running", start, abort };
}
