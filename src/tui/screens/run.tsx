import { Box, Text, useInput } from "ink";
import { format } from "../../output";
import type { RunRow, StackResultRow } from "../../state/store";
import { VirtualList } from "../components/virtual-list";
import { col, duration, firstLine, fit, startedBy, statusColor, when, wrapLines } from "../format";
import { useCloseOnBack } from "../use-back-handler";
import { useListCursor } from "../use-list-cursor";

export interface RunPaneProps {
  run: RunRow;
  stacks: StackResultRow[];
  width: number;
  height: number;
  active: boolean;
  onClose(): void;
  /** l: the run's log. */
  onLog?(): void;
}

/** At most this many lines of the run's error, and of the selected stack's. */
const ERROR_LINES = 3;

/** One run: who started it, how it ended, its error, and per stack status, downtime, bytes added, snapshot, error. */
export function RunPane({ run, stacks, width, height, active, onClose, onLog }: RunPaneProps) {
  const errLines = wrapLines(run.error ?? "", width - 8, ERROR_LINES);
  // Header 2, the run's error, the table's header and its position line, the selected stack's error.
  const listHeight = Math.max(1, Math.min(Math.max(1, stacks.length), height - 2 - errLines.length - 2 - ERROR_LINES));
  const list = useListCursor(stacks.length, listHeight);
  useCloseOnBack(onClose, active);
  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      if (input === "l") onLog?.();
      else if (key.backspace || key.delete || key.leftArrow || key.return) onClose();
    },
    { isActive: active },
  );

  const took = run.finishedAt ? duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : undefined;
  const by = startedBy(run);
  // The finish time without its date when it is the start's.
  const finished = run.finishedAt && when(run.finishedAt, true).replace(`${when(run.startedAt).slice(0, 11)}`, "");
  const selected = stacks[list.cursor];
  const stackW = Math.max(10, Math.min(24, width - 62));
  const errW = Math.max(0, width - 1 - 2 - stackW - 10 - 9 - 9 - 11 - 10);
  return (
    <Box flexDirection="column">
      <Text bold color={statusColor(run.status)} wrap="truncate-end">
        Run #{run.id} · {run.kind} · {run.status}
        {run.exitCode === undefined ? "" : ` (exit ${run.exitCode})`} · {by}
      </Text>
      <Text wrap="truncate-end">
        started {when(run.startedAt, true)}
        {run.finishedAt ? ` · finished ${finished} · took ${took}` : " · not finished"}
      </Text>
      {errLines.map((l, i) => (
        <Text key={i} color="red" wrap="truncate-end">
          {i ? "       " : "error: "}
          {l}
        </Text>
      ))}
      {stacks.length ? (
        <>
          <Text
            bold
          >{`  ${fit("STACK", stackW)}${fit("STATUS", 10)}${fit("DURATION", 9)}${fit("DOWNTIME", 9)}${fit("ADDED", 11)}${fit("SNAPSHOT", 10)}${errW >= 8 ? "ERROR" : ""}`}</Text>
          <VirtualList
            items={stacks}
            cursor={list.cursor}
            top={list.top}
            height={listHeight}
            render={(s, sel) => (
              <Text bold={sel} wrap="truncate-end">
                {col(s.stack, stackW)}
                <Text color={statusColor(s.status)}>{col(s.status, 10)}</Text>
                {col(duration(s.durationMs), 9)}
                {col(s.downtimeMs ? duration(s.downtimeMs) : "0", 9)}
                {col(format.bytes(s.bytesAdded), 11)}
                {col(s.snapshotId ? s.snapshotId.slice(0, 8) : "-", 10)}
                {errW >= 8 ? fit(firstLine(s.error), errW) : ""}
              </Text>
            )}
          />
          {selected?.error
            ? wrapLines(selected.error, width - 3 - selected.stack.length, ERROR_LINES).map((l, i) => (
                <Text key={i} color="red" wrap="truncate-end">
                  {i ? " ".repeat(selected.stack.length + 2) : `${selected.stack}: `}
                  {l}
                </Text>
              ))
            : null}
        </>
      ) : (
        <Text dimColor>
          {run.kind === "backup" ? "No stack was backed up in this run." : `A ${run.kind} run: no per-stack results.`}
        </Text>
      )}
    </Box>
  );
}
