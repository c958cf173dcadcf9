import type { Key } from "ink";

/** The cursor after a navigation key, or undefined when the key is not a navigation key. */
export function moveCursor(cursor: number, input: string, key: Key, count: number, page: number): number | undefined {
  if (count === 0) return undefined;
  let next: number;
  if (key.upArrow || input === "k") next = cursor - 1;
  else if (key.downArrow || input === "j") next = cursor + 1;
  else if (key.pageUp) next = cursor - page;
  else if (key.pageDown) next = cursor + page;
  else if (key.home || input === "g") next = 0;
  else if (key.end || input === "G") next = count - 1;
  else return undefined;
  return Math.max(0, Math.min(count - 1, next));
}

/** The first visible row: moves only as far as needed to keep the cursor inside a window of `height`. */
export function scrollTop(top: number, cursor: number, height: number, count: number): number {
  const h = Math.max(1, height);
  let t = top;
  if (cursor < t) t = cursor;
  if (cursor >= t + h) t = cursor - h + 1;
  return Math.max(0, Math.min(t, Math.max(0, count - h)));
}
