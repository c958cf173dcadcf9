import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import type { TuiBackend } from "../backend";
import { TextInput } from "../components/text-input";
import { VirtualList } from "../components/virtual-list";
import { fit, wrapLines } from "../format";
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

/** Warnings wrap (a hint at the end must not be cut off) within a third of the screen; "(+N more)" for the rest. */
export function wrappedWarnings(warnings: readonly string[], width: number, budget: number): string[] {
  const out: string[] = [];
  let shown = 0;
  for (const w of warnings) {
    const lines = wrapLines(`! ${w}`, width, budget);
    if (shown && out.length + lines.length > budget) break;
    out.push(...lines);
    shown++;
  }
  if (shown < warnings.length) out.push(`(+${warnings.length - shown} more)`);
  return out;
}

/** Which stacks are backed up: the dirlist, edited in place (Space toggles, `a` adds EXT:/path). */
export function StacksScreen({ backend, width, height, active, onCapture }: StacksProps) {
  const sel = useSelection(backend);
  const [adding, setAdding] = useState<string | undefined>(undefined);
  const w = Math.max(20, width);
  const unreadable = sel.dirlistError ? wrapLines(`! ${sel.dirlistError}`, w, 8) : [];
  const message = sel.error
    ? wrapLines(`error: ${sel.error}`, w, 4)
    : sel.notice
      ? wrapLines(`${sel.notice} (saved)`, w, 2)
      : [];
  const warnings = wrappedWarnings(sel.warnings, w, Math.max(2, Math.floor(height / 3)));
  const listHeight = Math.max(
    1,
    height - 1 - unreadable.length - (adding !== undefined ? 1 : 0) - message.length - warnings.length,
  );
  const list = useListCursor(sel.rows.length, listHeight);
  useEffect(() => onCapture(adding !== undefined), [adding, onCapture]);

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const row = sel.rows[list.current()];
      if (input === " " && row) sel.toggle(row.key);
      else if (input === "r") sel.reload();
      // Nothing can be written while a line of the file cannot be read: canEdit says so instead of asking.
      else if (input === "a" && sel.canEdit()) setAdding("");
    },
    { isActive: active && adding === undefined },
  );

  const nameW = Math.max(16, width - 4 - 4 - 12);
  const empty = sel.loading
    ? "loading…"
    : sel.dirlistError
      ? "No stacks found on this host, and the dirlist cannot be read (above)."
      : "No stacks found and the dirlist lists none: press a to add an external directory.";
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        dirlist: {sel.file ?? "…"}
        {sel.busy ? " (saving…)" : ""}
      </Text>
      {unreadable.map((l, i) => (
        <Text key={`u${i}`} color="red">
          {l}
        </Text>
      ))}
      <VirtualList
        items={sel.rows}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty={empty}
        render={(r, selected) => (
          <Text bold={selected} wrap="truncate-end">
            {sel.dirlistError ? "[?] " : r.enabled ? "[x] " : "[ ] "}
            {fit(r.key, nameW)}
            <Text dimColor>
              {r.kind === "external" ? "external" : r.found ? (r.state ?? "") : "not found"}
              {r.listed || sel.dirlistError ? "" : " (new)"}
            </Text>
          </Text>
        )}
      />
      {adding !== undefined ? (
        <TextInput
          label="add external directory (absolute path): "
          value={adding}
          onChange={setAdding}
          onSubmit={(v) => {
            setAdding(undefined);
            if (v.trim()) sel.addExternal(v);
          }}
          onCancel={() => setAdding(undefined)}
        />
      ) : null}
      {message.map((l, i) => (
        <Text key={`m${i}`} color={sel.error ? "red" : "green"}>
          {l}
        </Text>
      ))}
      {warnings.map((l, i) => (
        <Text key={`w${i}`} color="yellow">
          {l}
        </Text>
      ))}
    </Box>
  );
}
