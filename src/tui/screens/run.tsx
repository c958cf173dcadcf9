import { Box, Text, useInput } from "ink";
import { useCallback } from "react";
import { format } from "../../output";
import type { RunRow, StackResultRow } from "../../state/store";
import { VirtualList } from "../components/virtual-list";
import { duration, firstLine, fit, startedBy, statusColor, when } from "../format";
import { useBackHandler } from "../use-back-handler";
import { useListCursor } from "../use-list-cursor";

export interface RunPaneProps {
  run: RunRow;
  stacks: StackResultRow[];
  width: number;
  height: number;
  active: boolean;
  onClose(): void;
}

const ERROR_LINES = 4;

/** One run: who started it, how it ended, its error, and per stack status, downtime, bytes added, snapshot, error. */
export function RunPane({ run, stacks, width, height, active, onClose }: RunPaneProps) {
  const errLines = (run.error ?? "").split("\n").filter((l) => l.trim()).slice(0, ERROR_LINES);
  // Header 2, the run's error, the table's header, the selected stack's error (up to 3 lines).
  const listHeight = Math.max(1, Math.min(Math.max(1, stacks.length), height - 2 - errLines.length - 1 - 4));
  const list = useListCursor(stacks.length, listHeight);
  const back = useCallback(() => {
    onClose();
    return true;
  }, [onClose]);
  useBackHandler(back, active);
  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      if (key.backspace || key.delete || key.leftArrow || key.return) onClose();
    },
    { isActive: active },
  );

  const took = run.finishedAt ? duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : undefined;
  const by = run.job ? `by schedule ${run.job}` : startedBy(run);
  const selected = stacks[list.cursor];
  const stackW = Math.max(10, Math.min(24, width - 62));
  const errW = Math.max(0, width - 1 - 2 - stackW - 10 - 9 - 9 - 11 - 10);
  return (
    <Box flexDirection="column">
      <Text bold color={statusColor(run.status)} wrap="truncate-end">
        Run #{run.id} · {run.kind} · {run.status}{run.exitCode === undefined ? "" : ` (exit ${run.exitCode})`}
      </Text>
      <Text wrap="truncate-end">
        {by} · started {when(run.startedAt, true)}{run.finishedAt ? ` · finished ${when(run.finishedAt, true)} · took ${took}` : " · not finished"}
      </Text>
      {errLines.map((l, i) => (
        <Text key={i} color="red" wrap="truncate-end">{i ? "       " : "error: "}{l}</Text>
      ))}
      {stacks.length ? (
        <>
          <Text bold>{`  ${fit("STACK", stackW)}${fit("STATUS", 10)}${fit("DURATION", 9)}${fit("DOWNTIME", 9)}${fit("ADDED", 11)}${fit("SNAPSHOT", 10)}${errW >= 8 ? "ERROR" : ""}`}</Text>
          <VirtualList
            items={stacks}
            cursor={list.cursor}
            top={list.top}
            height={listHeight}
            render={(s, sel) => (
              <Text bold={sel} wrap="truncate-end">
                {fit(s.stack, stackW)}
                <Text color={statusColor(s.status)}>{fit(s.status, 10)}</Text>
                {fit(duration(s.durationMs), 9)}
                {fit(s.downtimeMs ? duration(s.downtimeMs) : "0", 9)}
                {fit(format.bytes(s.bytesAdded), 11)}
                {fit(s.snapshotId ? s.snapshotId.slice(0, 8) : "-", 10)}
                {errW >= 8 ? fit(firstLine(s.error), errW) : ""}
              </Text>
            )}
          />
          {(selected?.error ?? "").split("\n").filter((l) => l.trim()).slice(0, 3).map((l, i) => (
            <Text key={i} color="red" wrap="truncate-end">{i ? " ".repeat(selected!.stack.length + 2) : `${selected!.stack}: `}{l}</Text>
          ))}
        </>
      ) : (
        <Text dimColor>{run.kind === "backup" ? "No stack was backed up in this run." : `A ${run.kind} run: no per-stack results.`}</Text>
      )}
    </Box>
  );
}
