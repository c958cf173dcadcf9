import { useCallback, useState } from "react";
import type { SelectionRow, TuiBackend } from "./backend";
import { describeError, useAsync } from "./use-async";

export interface SelectionState {
  rows: SelectionRow[];
  file?: string;
  warnings: string[];
  /** The dirlist has a line it cannot read: nothing is known to be enabled, and no edit is made. */
  dirlistError?: string;
  loading: boolean;
  busy: boolean;
  /** The last failed edit or load, shown inline. */
  error?: string;
  /** What the last edit did. */
  notice?: string;
  toggle(key: string): void;
  addExternal(path: string): void;
  /** False (and the reason shown) when no edit can be made now: the dirlist cannot be read. */
  canEdit(): boolean;
  reload(): void;
}

/** Why no edit is made while the dirlist cannot be read (the edit would only repeat its error). */
export const DIRLIST_UNREADABLE =
  "nothing changed: the dirlist cannot be read (the error above); fix that line in the file, then press r";

/** The dirlist as rows; every change is written at once (DirlistFile takes its lock), then re-read. */
export function useSelection(backend: TuiBackend): SelectionState {
  const loaded = useAsync(useCallback(() => backend.selection(), [backend]));
  const [edit, setEdit] = useState<{ busy: boolean; error?: string; notice?: string }>({ busy: false });
  const dirlistError = loaded.data?.dirlistError;
  const apply = useCallback(
    (what: string, change: () => Promise<string | void>) => {
      if (dirlistError) {
        setEdit({ busy: false, error: DIRLIST_UNREADABLE });
        return;
      }
      setEdit({ busy: true });
      change().then(
        (done) => {
          setEdit({ busy: false, notice: done || what });
          loaded.reload();
        },
        (err) => setEdit({ busy: false, error: describeError(err) }),
      );
    },
    [loaded.reload, dirlistError],
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
  const addExternal = useCallback(
    (path: string) =>
      apply(`added EXT:${path.trim()}`, async () => {
        const key = await backend.addExternal(path);
        return key ? `added ${key}` : undefined;
      }),
    [apply, backend],
  );
  const canEdit = useCallback(() => {
    if (dirlistError) setEdit({ busy: false, error: DIRLIST_UNREADABLE });
    return !dirlistError;
  }, [dirlistError]);
  const reload = useCallback(() => {
    setEdit({ busy: false });
    loaded.reload();
  }, [loaded.reload]);
  return {
    rows,
    file: loaded.data?.file,
    warnings: loaded.data?.warnings ?? [],
    dirlistError,
    loading: loaded.loading,
    busy: edit.busy,
    error: edit.error ?? loaded.error,
    notice: edit.error ? undefined : edit.notice,
    toggle,
    addExternal,
    canEdit,
    reload,
  };
}
