import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { CatalogFile, CatalogSnapshot } from "../state/catalog";
import type { TuiBackend } from "./backend";
import { describeError } from "./use-async";

export interface FileTreeState {
  dir: string;
  /** Where browsing starts (and Backspace leaves the tree). */
  root?: string;
  entries: CatalogFile[];
  /** Indexing the snapshot (restic ls) on first open. */
  indexing: boolean;
  error?: string;
  open(entry: CatalogFile): void;
  up(): boolean;
}

export function parentDir(dir: string): string {
  if (dir === "/") return "/";
  return dir.slice(0, dir.lastIndexOf("/")) || "/";
}

/** A snapshot's tree from the catalog: indexed once (ensureIndexed), then browsed without restic. */
export function useFileTree(backend: TuiBackend, snap: CatalogSnapshot): FileTreeState {
  const [indexing, setIndexing] = useState(!snap.indexed);
  const [error, setError] = useState<string>();
  const [dir, setDir] = useState("/");

  useEffect(() => {
    const c = new AbortController();
    setIndexing(true);
    backend.index(snap, c.signal).then(
      () => !c.signal.aborted && setIndexing(false),
      (err) => !c.signal.aborted && (setIndexing(false), setError(describeError(err))),
    );
    return () => c.abort();
  }, [backend, snap]);

  // restic's tree starts at "/" and holds every parent of the backed-up paths: start below the chain of lone dirs.
  const [root, setRoot] = useState<string>();
  useEffect(() => {
    if (indexing || error) return;
    let d = "/";
    for (
      let kids = backend.children(snap.id, d);
      kids.length === 1 && kids[0].type === "dir";
      kids = backend.children(snap.id, d)
    )
      d = kids[0].path;
    setRoot(d);
    setDir(d);
  }, [backend, snap, indexing, error]);

  // Read while rendering (the catalog is local SQLite): a frame never shows a new folder's name over the old one's entries.
  const entries = useMemo(() => (root !== undefined ? backend.children(snap.id, dir) : []), [backend, snap, dir, root]);

  const open = useCallback((e: CatalogFile) => {
    if (e.type === "dir") setDir(e.path);
  }, []);
  // Keys can arrive in a burst before a re-render: each step up must start where the last one ended.
  const dirRef = useRef(dir);
  dirRef.current = dir;
  const up = useCallback(() => {
    const d = dirRef.current;
    if (d === "/" || d === root) return false;
    dirRef.current = parentDir(d);
    setDir(dirRef.current);
    return true;
  }, [root]);
  return { dir, root, entries, indexing, error, open, up };
}
