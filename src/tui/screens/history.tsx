import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import type { RunRow } from "../../state/store";
import type { TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { col, fit, runNote, startedBy, statusColor, when } from "../format";
import { useHistory, HISTORY_LIMIT } from "../use-history";
import { useListCursor } from "../use-list-cursor";
import { RunPane } from "./run";
import { RunLogPane } from "./run-log";

export interface HistoryProps {
  backend: TuiBackend;
  width: number;
  height: number;
  active: boolean;
  /** Only this schedule job's runs (from the Schedules screen). */
  initialJob?: string;
  reloadKey?: number;
  /** Tells the App the details pane is open (its keys differ). */
  onPane?(pane: "list" | "run" | "log"): void;
}

/** Past runs, newest first, a virtualised list (only the rows in view are drawn); Enter shows a run. */
export function HistoryScreen({ backend, width, height, active, initialJob, reloadKey, onPane }: HistoryProps) {
  const h = useHistory(backend, initialJob, reloadKey);
  const [opened, setOpened] = useState<RunRow>();
  const [log, setLog] = useState(false);
  const listHeight = Math.max(1, height - 3 - (h.error ? 1 : 0));
  const list = useListCursor(h.rows.length, listHeight);
  useEffect(() => onPane?.(opened ? (log ? "log" : "run") : "list"), [opened, log, onPane]);

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const row = h.rows[list.current()];
      if (key.return && row) setOpened(row);
      else if (input === "f") h.cycleKind();
      else if (input === "r") h.reload();
    },
    { isActive: active && !opened },
  );

  if (opened) {
    // The row as re-read (a running run may have finished since the list was read).
    const fresh = h.rows.find((r) => r.id === opened.id) ?? opened;
    if (log)
      return (
        <RunLogPane
          backend={backend}
          run={fresh}
          width={width}
          height={height}
          active={active}
          onClose={() => setLog(false)}
        />
      );
    return (
      <RunPane
        run={fresh}
        stacks={backend.runStacks(fresh.id)}
        width={width}
        height={height}
        active={active}
        onClose={() => setOpened(undefined)}
        onLog={() => setLog(true)}
      />
    );
  }
  // Narrow terminals: the date without the year leaves the stacks column room.
  const wide = width >= 100;
  const timeW = wide ? 17 : 12;
  // BY holds the CLI's words ("manual", "schedule backup:web") in full, up to 22 columns.
  const byW = Math.min(22, Math.max(8, ...h.rows.map((r) => startedBy(r).length + 1)));
  const fixed = 2 + 6 + 8 + timeW + byW + 12 + 5;
  const noteW = Math.max(8, width - 1 - fixed);
  const filter = [h.kind ? `${h.kind} runs` : "all runs", h.job ? `job ${h.job}` : ""].filter(Boolean).join(" · ");
  const limited = h.rows.length >= HISTORY_LIMIT ? ` (the newest ${HISTORY_LIMIT})` : "";
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {filter} · {h.rows.length} shown{limited}
      </Text>
      <Text
        bold
      >{`  ${fit("RUN", 6)}${fit("KIND", 8)}${fit("STARTED", timeW)}${fit("BY", byW)}${fit("STATUS", 12)}${fit("EXIT", 5)}STACKS / ERROR`}</Text>
      <VirtualList
        items={h.rows}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty={
          h.kind || h.job
            ? "No such runs: f shows the other kinds."
            : "No runs yet: a backup, sync, verify or prune (manual or scheduled) is recorded here."
        }
        render={(r, sel) => (
          <Text bold={sel} wrap="truncate-end">
            {col(String(r.id), 6)}
            {col(r.kind, 8)}
            {col(wide ? when(r.startedAt) : when(r.startedAt).slice(5), timeW)}
            {col(startedBy(r), byW)}
            <Text color={statusColor(r.status)}>{col(r.status, 12)}</Text>
            {col(r.exitCode === undefined ? "-" : String(r.exitCode), 5)}
            {fit(runNote(h.stacksOf(r.id), r.error), noteW)}
          </Text>
        )}
      />
      {h.error ? (
        <Text color="red" wrap="truncate-end">
          error: {h.error}
        </Text>
      ) : null}
    </Box>
  );
}
