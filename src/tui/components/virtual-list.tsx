import { Box, Text } from "ink";
import type { ReactNode } from "react";

export interface VirtualListProps<T> {
  /** An array, or anything that can count and slice its rows (a paged catalog listing). */
  items: Pick<readonly T[], "length" | "slice">;
  cursor: number;
  top: number;
  height: number;
  render(item: T, selected: boolean, index: number): ReactNode;
  empty?: string;
}

/** Renders only the rows in view, so 10,000 rows cost what `height` rows cost. */
export function VirtualList<T>({ items, cursor, top, height, render, empty }: VirtualListProps<T>) {
  if (!items.length) return <Text dimColor>{empty ?? "(nothing)"}</Text>;
  const rows = items.slice(top, top + height);
  const more = items.length > height;
  return (
    <Box flexDirection="column">
      {rows.map((item, i) => (
        <Box key={top + i}>
          <Text>{top + i === cursor ? "› " : "  "}</Text>
          {render(item, top + i === cursor, top + i)}
        </Box>
      ))}
      {more ? <Text dimColor>{`${cursor + 1}/${items.length}`}</Text> : null}
    </Box>
  );
}
