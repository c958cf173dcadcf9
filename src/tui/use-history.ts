import { useCallback, useMemo, useState } from "react";
import type { RunKind, RunRow, StackResultRow } from "../state/store";
import type { TuiBackend } from "./backend";
import { describeError } from "./use-async";

/** How many runs the list holds at most (newest first); the list draws only the rows in view. */
export const HISTORY_LIMIT = 5000;
export const RUN_KINDS: RunKind[] = ["backup", "sync", "verify", "prune", "restore", "recover"];

export interface HistoryState {
  rows: RunRow[];
  kind?: RunKind;
  /** Only the runs of this schedule job (opened from the Schedules screen). */
  job?: string;
  error?: string;
  /** A run's per-stack results, read when its row is first drawn and kept until a reload. */
  stacksOf(runId: number): StackResultRow[];
  /** all → backup → sync → … → all; from a job's runs, first back to all runs. */
  cycleKind(): void;
  reload(): void;
}

/** Run history from the state store: synchronous reads (SQLite), re-read on reload or after a run. */
export function useHistory(backend: TuiBackend, initialJob?: string, reloadKey = 0): HistoryState {
  const [kind, setKind] = useState<RunKind>();
  const [job, setJob] = useState(initialJob);
  const [version, setVersion] = useState(0);
  const fetched = useMemo(() => {
    void version;
    void reloadKey;
    try {
      return { rows: backend.runs({ limit: HISTORY_LIMIT, kind, job }), cache: new Map<number, StackResultRow[]>() };
    } catch (err) {
      return { rows: [] as RunRow[], cache: new Map<number, StackResultRow[]>(), error: describeError(err) };
    }
  }, [backend, kind, job, version, reloadKey]);
  const stacksOf = useCallback(
    (runId: number) => {
      let s = fetched.cache.get(runId);
      if (!s) {
        try {
          s = backend.runStacks(runId);
        } catch {
          s = [];
        }
        fetched.cache.set(runId, s);
      }
      return s;
    },
    [backend, fetched],
  );
  const cycleKind = useCallback(() => {
    if (job) setJob(undefined);
    else setKind((k) => RUN_KINDS[(k === undefined ? -1 : RUN_KINDS.indexOf(k)) + 1]);
  }, [job]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { rows: fetched.rows, kind, job, error: fetched.error, stacksOf, cycleKind, reload };
}
