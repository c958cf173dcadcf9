import type { Key } from "ink";
import { useCallback, useReducer, useRef } from "react";
import { moveCursor, scrollTop } from "./list-window";

export interface ListCursor {
  cursor: number;
  top: number;
  /** The cursor as of the last key, even before the re-render (keys can arrive in one burst). */
  current(): number;
  /** Handles a navigation key; false when the key was not one. */
  onKey(input: string, key: Key): boolean;
  setCursor(i: number): void;
}

/** Cursor and scroll window over `count` rows shown `height` at a time. */
export function useListCursor(count: number, height: number): ListCursor {
  // A ref, not state: several keys in one read of stdin are handled before React re-renders,
  // and each must see where the previous one left the cursor.
  const pos = useRef({ cursor: 0, top: 0 });
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const clamp = (p: { cursor: number; top: number }) => {
    const cursor = Math.max(0, Math.min(p.cursor, count - 1));
    return { cursor, top: scrollTop(p.top, cursor, height, count) };
  };
  // Rows may shrink (a filter, a refresh): keep the cursor on a real row.
  pos.current = clamp(pos.current);

  const onKey = useCallback(
    (input: string, key: Key) => {
      const page = Math.max(1, height - 1);
      const p = pos.current;
      const next = moveCursor(p.cursor, input, key, count, page);
      if (next === undefined) return moveCursor(0, input, key, 1, page) !== undefined;
      // A page key scrolls the window by a page too, so the cursor keeps its place on screen.
      const paged = key.pageDown ? p.top + page : key.pageUp ? p.top - page : p.top;
      pos.current = { cursor: next, top: scrollTop(Math.max(0, Math.min(paged, count - height)), next, height, count) };
      rerender();
      return true;
    },
    [count, height],
  );
  const setCursor = useCallback(
    (i: number) => {
      pos.current = { cursor: i, top: scrollTop(pos.current.top, i, height, count) };
      rerender();
    },
    [count, height],
  );
  const current = useCallback(() => pos.current.cursor, []);
  return { cursor: pos.current.cursor, top: pos.current.top, current, onKey, setCursor };
}
