import type { Key } from "ink";
import { useCallback, useEffect, useState } from "react";
import { moveCursor, scrollTop } from "./list-window";

export interface ListCursor {
  cursor: number;
  top: number;
  /** Handles a navigation key; false when the key was not one. */
  onKey(input: string, key: Key): boolean;
  setCursor(i: number): void;
}

/** Cursor and scroll window over `count` rows shown `height` at a time. */
export function useListCursor(count: number, height: number): ListCursor {
  const [pos, setPos] = useState({ cursor: 0, top: 0 });
  // Rows may shrink (a filter, a refresh): keep the cursor on a real row.
  useEffect(() => {
    setPos((p) => {
      const cursor = Math.max(0, Math.min(p.cursor, count - 1));
      const top = scrollTop(p.top, cursor, height, count);
      return cursor === p.cursor && top === p.top ? p : { cursor, top };
    });
  }, [count, height]);
  const onKey = useCallback(
    (input: string, key: Key) => {
      const page = Math.max(1, height - 1);
      if (moveCursor(0, input, key, Math.max(1, count), page) === undefined) return false;
      setPos((p) => {
        const next = moveCursor(p.cursor, input, key, count, page);
        if (next === undefined) return p;
        // A page key scrolls the window by a page too, so the cursor keeps its place on screen.
        const paged = key.pageDown ? p.top + page : key.pageUp ? p.top - page : p.top;
        return { cursor: next, top: scrollTop(Math.max(0, Math.min(paged, count - height)), next, height, count) };
      });
      return true;
    },
    [count, height],
  );
  const setCursor = useCallback((i: number) => setPos((p) => ({ cursor: i, top: scrollTop(p.top, i, height, count) })), [count, height]);
  return { cursor: Math.min(pos.cursor, Math.max(0, count - 1)), top: pos.top, onKey, setCursor };
}
