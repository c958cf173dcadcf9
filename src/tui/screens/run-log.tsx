import { Box, Text, useInput } from "ink";
import { useEffect, useMemo } from "react";
import { transferText } from "../../rclone/progress-text";
import type { ServiceEvent } from "../../services/run/events";
import type { LogEntry } from "../../services/run/run-log";
import type { RunRow } from "../../state/store";
import type { TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { describeEvent } from "../use-backup-run";
import { useCloseOnBack } from "../use-back-handler";
import { useListCursor } from "../use-list-cursor";

/** A log line as text: the event in the run screen's words, or the message with its error and stack. */
export function logLine(e: LogEntry): string {
  const t = new Date(e.time);
  const hms = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
  const f = e.fields;
  const ev = f.event as ServiceEvent | undefined;
  let text = ev ? (describeEvent(ev) ?? progressText(ev) ?? e.msg) : e.msg;
  if (!f.event) {
    const extra = ["stack", "job", "action", "err", "error", "reason"]
      .filter((k) => f[k] !== undefined && f[k] !== "*")
      .map((k) => `${k}=${typeof f[k] === "string" ? f[k] : JSON.stringify(f[k])}`);
    if (extra.length) text += ` ${extra.join(" ")}`;
  }
  const level = e.level === "info" ? "" : `${e.level.toUpperCase()} `;
  return `${hms} ${level}${text.replace(/\s*\n\s*/g, " | ")}`;
}

/** rclone's progress ticks (logged like every event) as one short line each. */
function progressText(e: ServiceEvent): string | undefined {
  if (e.type !== "transfer") return undefined;
  return transferText(e.what, e.attempt, e.progress);
}

export interface RunLogProps {
  backend: TuiBackend;
  run: RunRow;
  width: number;
  height: number;
  active: boolean;
  onClose(): void;
}

/** The run's lines from backup-tui.log (the pid that ran it, between its start and finish), scrollable, newest at the bottom. */
export function RunLogPane({ backend, run, width, height, active, onClose }: RunLogProps) {
  const lines = useMemo(() => {
    try {
      return { lines: backend.runLog(run).map(logLine) };
    } catch (err) {
      return { lines: [], error: String(err) };
    }
  }, [backend, run]);
  const listHeight = Math.max(1, height - 3);
  const list = useListCursor(lines.lines.length, listHeight);
  useEffect(() => {
    list.setCursor(Math.max(0, lines.lines.length - 1));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lines]);
  useCloseOnBack(onClose, active);
  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      if (key.backspace || key.delete || key.leftArrow) onClose();
    },
    { isActive: active },
  );
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        Run #{run.id} · {run.kind} · log ({lines.lines.length} line(s) from backup-tui.log, pid {run.pid ?? "?"})
      </Text>
      {lines.error ? <Text color="red">error: {lines.error}</Text> : null}
      <VirtualList
        items={lines.lines}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty="No log lines for this run (older runs may be in a rotated log that is gone, or it ran elsewhere)."
        render={(l, sel) => (
          <Text bold={sel} wrap="truncate-end">
            {l.slice(0, Math.max(10, width - 3))}
          </Text>
        )}
      />
    </Box>
  );
}
