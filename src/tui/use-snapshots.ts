import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { CatalogSnapshot, SnapshotFilter } from "../state/catalog";
import type { TuiBackend } from "./backend";
import { describeError } from "./use-async";

export const LATEST_PER_STACK = 5;

/** The rows a list shows: an array, or (every snapshot of a long catalog) pages read on demand. */
export interface Rows {
  readonly length: number;
  at(i: number): CatalogSnapshot | undefined;
  slice(start: number, end: number): CatalogSnapshot[];
}

const PAGE = 500;
const PAGES_KEPT = 8;

/**
 * `count` rows of a filter, read from the catalog a page at a time and only the last few pages
 * kept: the TUI holds a window of a 100,000-snapshot catalog, never all of it.
 */
export function pagedRows(backend: Pick<TuiBackend, "listSnapshots">, filter: SnapshotFilter, count: number): Rows {
  const pages = new Map<number, CatalogSnapshot[]>();
  const page = (p: number): CatalogSnapshot[] => {
    let rows = pages.get(p);
    if (rows) pages.delete(p);
    else rows = backend.listSnapshots({ ...filter, limit: PAGE, offset: p * PAGE });
    pages.set(p, rows); // newest use last
    if (pages.size > PAGES_KEPT) pages.delete(pages.keys().next().value as number);
    return rows;
  };
  const at = (i: number) => (i < 0 || i >= count ? undefined : page(Math.floor(i / PAGE))[i % PAGE]);
  return {
    length: count,
    at,
    slice(start, end) {
      const out: CatalogSnapshot[] = [];
      for (let i = Math.max(0, start); i < Math.min(end, count); i++) {
        const r = at(i);
        if (r) out.push(r);
      }
      return out;
    },
  };
}

export interface SnapshotsState {
  rows: Rows;
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
export function useSnapshots(backend: TuiBackend, initialStack?: string, host?: string): SnapshotsState {
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
          .listSnapshots({ latestPerStack: 1, host })
          .map((s) => s.stack)
          .filter((s): s is string => !!s),
      ),
    ].sort();
  }, [backend, host, version]);
  const fetched = useMemo((): { rows: Rows; error?: string } => {
    void version;
    const t = text.trim();
    try {
      // Every snapshot: counted, then paged from the catalog (filtered there too).
      if (all && backend.countSnapshots) {
        const filter = { stack, host, stackContains: t || undefined };
        return { rows: pagedRows(backend, filter, backend.countSnapshots(filter)) };
      }
      const rows = backend.listSnapshots({ stack, host, latestPerStack: all ? undefined : LATEST_PER_STACK });
      return { rows: t ? rows.filter((r) => (r.stack ?? "").toLowerCase().includes(t.toLowerCase())) : rows };
    } catch (err) {
      return { rows: [], error: describeError(err) };
    }
  }, [backend, stack, host, all, version, text]);
  const rows = fetched.rows;

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

  // Opened for one host (from the Fleet screen), or on an empty catalog (a viewer's first run):
  // read the repository once instead of showing "no snapshots" for what the repository holds.
  const firstLook = useRef(true);
  useEffect(() => {
    if (!firstLook.current) return;
    firstLook.current = false;
    if (host || backend.listSnapshots({ limit: 1 }).length === 0) refresh();
  }, [backend, host, refresh]);

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
