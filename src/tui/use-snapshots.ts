import { useCallback, useMemo, useRef, useState } from "react";
import type { CatalogSnapshot } from "../state/catalog";
import type { TuiBackend } from "./backend";
import { describeError } from "./use-async";

export const LATEST_PER_STACK = 5;

export interface SnapshotsState {
  rows: CatalogSnapshot[];
  /** Stack names in the catalog, for cycling the filter. */
  stacks: string[];
  stack?: string;
  /** Typed filter: stack names containing it. */
  text: string;
  /** Every snapshot, not only the newest few per stack. */
  all: boolean;
  refreshing: boolean;
  error?: string;
  notice?: string;
  cycleStack(): void;
  setText(t: string): void;
  toggleAll(): void;
  refresh(): void;
}

/** "Filter & fetch": the catalog, filtered; `refresh` re-reads the repository (restic snapshots). */
export function useSnapshots(backend: TuiBackend, initialStack?: string): SnapshotsState {
  const [stack, setStack] = useState<string | undefined>(initialStack);
  const [text, setText] = useState("");
  const [all, setAll] = useState(false);
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<{ refreshing: boolean; error?: string; notice?: string }>({ refreshing: false });
  const refreshing = useRef(false);

  const stacks = useMemo(() => {
    void version;
    return [
      ...new Set(
        backend
          .listSnapshots({ latestPerStack: 1 })
          .map((s) => s.stack)
          .filter((s): s is string => !!s),
      ),
    ].sort();
  }, [backend, version]);
  const fetched = useMemo(() => {
    void version;
    try {
      return { rows: backend.listSnapshots({ stack, latestPerStack: all ? undefined : LATEST_PER_STACK }) };
    } catch (err) {
      return { rows: [], error: describeError(err) };
    }
  }, [backend, stack, all, version]);
  const rows = useMemo(() => {
    const t = text.trim().toLowerCase();
    return t ? fetched.rows.filter((r) => (r.stack ?? "").toLowerCase().includes(t)) : fetched.rows;
  }, [fetched, text]);

  const cycleStack = useCallback(() => {
    setStack((cur) => {
      const i = cur === undefined ? -1 : stacks.indexOf(cur);
      return i + 1 < stacks.length ? stacks[i + 1] : undefined;
    });
  }, [stacks]);
  const refresh = useCallback(() => {
    if (refreshing.current) return;
    refreshing.current = true;
    setStatus({ refreshing: true });
    backend
      .refreshSnapshots()
      .then(
        (r) =>
          setStatus({
            refreshing: false,
            notice: `refreshed: ${r.total} snapshot(s) in the repository, ${r.added} new, ${r.removed} gone`,
          }),
        (err) => setStatus({ refreshing: false, error: describeError(err) }),
      )
      .finally(() => {
        refreshing.current = false;
        setVersion((v) => v + 1);
      });
  }, [backend]);

  return {
    rows,
    stacks,
    stack,
    text,
    all,
    refreshing: status.refreshing,
    error: status.error ?? fetched.error,
    notice: status.notice,
    cycleStack,
    setText,
    toggleAll: useCallback(() => setAll((a) => !a), []),
    refresh,
  };
}
