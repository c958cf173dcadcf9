import { useCallback, useState } from "react";
import type { SelectionRow, TuiBackend } from "./backend";
import { describeError, useAsync } from "./use-async";

export interface SelectionState {
  rows: SelectionRow[];
  file?: string;
  warnings: string[];
  loading: boolean;
  busy: boolean;
  /** The last failed edit or load, shown inline. */
  error?: string;
  /** What the last edit did. */
  notice?: string;
  toggle(key: string): void;
  addExternal(path: string): void;
}

/** The dirlist as rows; every change is written at once (DirlistFile takes its lock), then re-read. */
export function useSelection(backend: TuiBackend): SelectionState {
  const loaded = useAsync(useCallback(() => backend.selection(), [backend]));
  const [edit, setEdit] = useState<{ busy: boolean; error?: string; notice?: string }>({ busy: false });
  const apply = useCallback(
    (what: string, change: () => Promise<void>) => {
      setEdit({ busy: true });
      change().then(
        () => {
          setEdit({ busy: false, notice: what });
          loaded.reload();
        },
        (err) => setEdit({ busy: false, error: describeError(err) }),
      );
    },
    [loaded.reload],
  );
  const rows = loaded.data?.rows ?? [];
  const toggle = useCallback(
    (key: string) => {
      const row = rows.find((r) => r.key === key);
      if (!row || edit.busy) return;
      apply(`${row.enabled ? "disabled" : "enabled"} ${key}`, () => backend.setEnabled(key, !row.enabled));
    },
    [rows, edit.busy, apply, backend],
  );
  const addExternal = useCallback((path: string) => apply(`added EXT:${path.trim()}`, () => backend.addExternal(path)), [apply, backend]);
  return {
    rows,
    file: loaded.data?.file,
    warnings: loaded.data?.warnings ?? [],
    loading: loaded.loading,
    busy: edit.busy,
    error: edit.error ?? loaded.error,
    notice: edit.error ? undefined : edit.notice,
    toggle,
    addExternal,
  };
}
