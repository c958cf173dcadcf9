import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import type { TuiBackend } from "../backend";
import { TextInput } from "../components/text-input";
import { VirtualList } from "../components/virtual-list";
import { fit } from "../format";
import { useListCursor } from "../use-list-cursor";
import { useSelection } from "../use-selection";

export interface StacksProps {
  backend: TuiBackend;
  width: number;
  height: number;
  active: boolean;
  /** True while the path input owns the keyboard (q and digits type, not navigate). */
  onCapture(captured: boolean): void;
}

/** Which stacks are backed up: the dirlist, edited in place (Space toggles, `a` adds EXT:/path). */
export function StacksScreen({ backend, width, height, active, onCapture }: StacksProps) {
  const sel = useSelection(backend);
  const [adding, setAdding] = useState<string | undefined>(undefined);
  const listHeight = Math.max(1, height - 4);
  const list = useListCursor(sel.rows.length, listHeight);
  useEffect(() => onCapture(adding !== undefined), [adding, onCapture]);

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const row = sel.rows[list.current()];
      if (input === " " && row) sel.toggle(row.key);
      else if (input === "a") setAdding("/");
    },
    { isActive: active && adding === undefined },
  );

  const nameW = Math.max(16, width - 4 - 4 - 12);
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">dirlist: {sel.file ?? "…"}{sel.busy ? " (saving…)" : ""}</Text>
      <VirtualList
        items={sel.rows}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty={sel.loading ? "loading…" : "No stacks found and the dirlist is empty: press a to add an external directory."}
        render={(r, selected) => (
          <Text bold={selected} wrap="truncate-end">
            {r.enabled ? "[x] " : "[ ] "}
            {fit(r.key, nameW)}
            <Text dimColor>{r.kind === "external" ? "external" : r.found ? (r.state ?? "") : "not found"}{r.listed ? "" : " (new)"}</Text>
          </Text>
        )}
      />
      {adding !== undefined ? (
        <TextInput
          label="add external directory EXT:"
          value={adding}
          onChange={setAdding}
          onSubmit={(v) => {
            setAdding(undefined);
            if (v.trim() && v.trim() !== "/") sel.addExternal(v);
          }}
          onCancel={() => setAdding(undefined)}
        />
      ) : null}
      {sel.error ? <Text color="red" wrap="wrap">error: {sel.error}</Text> : sel.notice ? <Text color="green">{sel.notice} (saved)</Text> : null}
      {sel.warnings.slice(0, 2).map((w) => (
        <Text key={w} color="yellow" wrap="truncate-end">! {w}</Text>
      ))}
    </Box>
  );
}
