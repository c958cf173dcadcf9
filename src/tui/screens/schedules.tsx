import { btui } from "../../command-hint";
import { Box, Text, useInput } from "ink";
import { useEffect, useState } from "react";
import type { ScheduleRow, TuiBackend } from "../backend";
import { VirtualList } from "../components/virtual-list";
import { age, col, firstLine, fit, statusColor, until, when } from "../format";
import { useListCursor } from "../use-list-cursor";
import { useSchedules } from "../use-schedules";
import { describeError } from "../use-async";

export interface SchedulesProps {
  backend: TuiBackend;
  width: number;
  height: number;
  active: boolean;
  /** Bumped when something changed the data (a run finished): reloads. */
  reloadKey?: number;
  /** Enter: the History screen, showing this job's runs. */
  onHistory(job: string): void;
}

const DETAIL_LINES = 4;

function lastCell(j: ScheduleRow, now: number): string {
  return j.last ? `${age(j.last.startedAt, now)} ago ${j.last.status}` : "never";
}

/** The automation page: every scheduled job, when it runs in words, how its last run went, the next; Space pauses or resumes one. */
export function SchedulesScreen({ backend, width, height, active, reloadKey, onHistory }: SchedulesProps) {
  const s = useSchedules(backend);
  useEffect(() => {
    if (reloadKey) s.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [reloadKey]);
  const jobs = s.data?.jobs ?? [];
  const [note, setNote] = useState<{ text: string; error?: boolean }>();
  const drift = s.data?.drift ?? [];
  const driftLines = Math.min(drift.length * 2, 4);
  const listHeight = Math.max(1, height - 4 - DETAIL_LINES - (s.error ? 1 : 0) - (note ? 1 : 0) - driftLines);
  const list = useListCursor(jobs.length, listHeight);
  const selected = jobs[list.cursor];

  useInput(
    (input, key) => {
      if (list.onKey(input, key)) return;
      const job = jobs[list.current()];
      if (key.return && job) onHistory(job.id);
      else if (input === "r") s.reload();
      else if (input === " " && job) {
        const paused = s.data?.paused?.includes(job.id) ?? false;
        backend.setJobEnabled(job.id, paused).then(
          () => {
            setNote({
              text: `${job.id} ${paused ? "resumed" : "paused"}: [schedule] PAUSED written to the config file${s.data?.installed.length ? "" : `; a running \`${btui("daemon")}\` picks it up on SIGHUP or a restart`}`,
            });
            s.reload();
          },
          (err) => setNote({ text: describeError(err), error: true }),
        );
      }
    },
    { isActive: active },
  );

  const now = Date.now();
  // JOB 11, CRON 13, LAST RUN 18, NEXT RUN 9 and the cursor: 53 columns; WHEN and ENABLED share the rest.
  const whenW = Math.max(12, Math.min(30, width - 61));
  const enabledW = Math.max(7, width - 54 - whenW);
  const installed = s.data?.installed ?? [];
  return (
    <Box flexDirection="column">
      <Text wrap="wrap">
        {s.data
          ? installed.length
            ? `${jobs.length} job(s) · installed: ${installed.join("; ")}`
            : `${jobs.length} job(s) · not installed: \`${btui("schedule install --systemd")}\` (or --cron), or run \`${btui("daemon")}\``
          : "loading…"}
      </Text>
      {drift.map((d) => (
        <Text key={d} color="yellow" wrap="wrap">
          ! {d}
        </Text>
      ))}
      {note ? (
        <Text color={note.error ? "red" : "green"} wrap="truncate-end">
          {note.text}
        </Text>
      ) : null}
      <Text
        bold
      >{`  ${fit("JOB", 11)}${fit("CRON", 13)}${fit("WHEN", whenW)}${fit("LAST RUN", 18)}${fit("NEXT RUN", 9)}ENABLED`}</Text>
      <VirtualList
        items={jobs}
        cursor={list.cursor}
        top={list.top}
        height={listHeight}
        empty={
          s.loading
            ? "loading…"
            : "No schedules configured. Set [schedule] BACKUP=0 3 * * * (and SYNC, VERIFY, PRUNE) or [stack:NAME] SCHEDULE in the config."
        }
        render={(j, sel) => (
          <Text bold={sel} wrap="truncate-end">
            {col(j.id, 11)}
            {col(j.cron, 13)}
            {col(j.description, whenW)}
            <Text color={statusColor(j.last?.status)}>{col(lastCell(j, now), 18)}</Text>
            {col(j.enabled ? until(j.next[0], now) : "-", 9)}
            <Text color={j.enabled ? undefined : "yellow"}>
              {fit(j.enabled ? "yes" : enabledW >= 14 ? `no: ${j.why}` : "no", enabledW)}
            </Text>
          </Text>
        )}
      />
      {s.error ? (
        <Text color="red" wrap="truncate-end">
          error: {s.error}
        </Text>
      ) : null}
      {selected ? (
        <Box flexDirection="column" marginTop={1}>
          <Text wrap="truncate-end">
            <Text bold>{selected.id}</Text> · {selected.key} = {selected.cron} · {selected.description}
          </Text>
          <Text color={statusColor(selected.last?.status)} wrap="truncate-end">
            {selected.last
              ? `last run #${selected.last.id} ${when(selected.last.startedAt)} ${selected.last.status}${selected.last.exitCode === undefined ? "" : ` (exit ${selected.last.exitCode})`}${selected.last.error ? `: ${firstLine(selected.last.error)}` : ""}`
              : "last run: never"}
          </Text>
          <Text color={selected.enabled ? undefined : "yellow"} wrap="truncate-end">
            {selected.enabled
              ? `next runs ${selected.next.map((n) => when(n)).join(", ")}`
              : `not enabled: ${selected.why}${selected.stack && selected.why?.includes("dirlist") ? " (Stacks, 2, enables it)" : ""}`}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
