import { Box, Text, useInput } from "ink";
import { useCallback } from "react";
import type { TuiBackend } from "../backend";
import { useAsync } from "../use-async";
import { format } from "../../output";
import { bar, duration, fit, phaseLabel } from "../format";
import type { BackupRunState, StackRow } from "../use-backup-run";
import type { TaskState } from "../use-task-run";
import { TaskView } from "./task";
import { LogTail } from "../components/log-tail";
import { RunError } from "../components/run-error";

export interface BackupProps {
  state: BackupRunState;
  /** Reads the dirlist, so the question names the stacks it will back up. */
  backend?: TuiBackend;
  /** The stacks this screen was opened for; undefined: those enabled in the dirlist. */
  names?: string[];
  width: number;
  height: number;
  active: boolean;
  onStart(names?: string[]): void;
  /** The last restore, sync or verify, shown instead of the backup when `show` is "task". */
  task?: TaskState;
  show?: "backup" | "task";
  /** s / v: `backup-tui sync`, `backup-tui verify` (not while something runs). */
  onSync?(): void;
  onVerify?(): void;
  /** Enter on a finished task: back to the backup question. */
  onShowBackup?(): void;
}

function progressCells(r: StackRow, barW: number): string {
  const o = r.outcome;
  if (o) {
    const snap = o.snapshotId ? o.snapshotId.slice(0, 8) : "-";
    return `${fit(o.status, 10)}${fit(o.downtimeMs ? duration(o.downtimeMs) : "0", 10)}${fit(format.bytes(o.bytesAdded), 11)}${snap}`;
  }
  const p = r.progress;
  if (!p) return "";
  const eta = p.secondsRemaining ? ` ETA ${p.secondsRemaining}s` : "";
  return `${bar(p.percent, barW)} ${String(Math.floor(p.percent * 100)).padStart(3)}% ${format.bytes(p.bytesDone)}/${format.bytes(p.totalBytes)} ${p.filesDone}/${p.totalFiles}f${eta}`;
}

/** One backup run: per-stack phase and progress, a log tail, the summary; busy shown as a message. */
export function BackupScreen({
  state,
  backend,
  names,
  width,
  height,
  active,
  onStart,
  task,
  show = "backup",
  onSync,
  onVerify,
  onShowBackup,
}: BackupProps) {
  const selection = useAsync(
    useCallback(async () => (names?.length || !backend ? undefined : backend.selection()), [backend, names]),
  );
  const busy = state.status === "running" || task?.status === "running";
  useInput(
    (input, key) => {
      if (busy) return;
      if (key.return) {
        if (show === "task") onShowBackup?.();
        else onStart(names);
      } else if (input === "s") onSync?.();
      else if (input === "v") onVerify?.();
    },
    { isActive: active },
  );
  if (show === "task" && task && task.status !== "idle") return <TaskView state={task} width={width} height={height} />;
  if (state.status === "idle") {
    const sel = selection.data;
    const enabled = sel?.rows.filter((r) => r.enabled).map((r) => r.key) ?? [];
    // The stacks it will back up, by name: the dirlist as it is now.
    const which =
      names?.length || !backend ? null : sel?.dirlistError ? (
        <Text color="red" wrap="wrap">
          Which stacks are enabled is unknown: {sel.dirlistError}
        </Text>
      ) : sel && !enabled.length ? (
        <Text color="yellow" wrap="wrap">
          No stack is enabled in the dirlist: Enter would back up nothing. Enable stacks on the Stacks screen (2), or
          pick one on the Dashboard (1) and press Enter.
        </Text>
      ) : sel ? (
        <Text wrap="wrap">
          {enabled.length === 1 ? "Enabled: " : `Enabled (${enabled.length}): `}
          <Text bold>{enabled.join(", ")}</Text>
        </Text>
      ) : (
        <Text dimColor wrap="wrap">
          {selection.error ? `The dirlist could not be read: ${selection.error}` : "reading the dirlist…"}
        </Text>
      );
    return (
      <Box flexDirection="column">
        <Text>
          Back up <Text bold>{names?.length ? names.join(", ") : "the stacks enabled in the dirlist"}</Text>?
        </Text>
        {which}
        <Text wrap="wrap">
          A hot pass runs while the stacks serve; running containers are then stopped for a short final pass and started
          again. Ctrl-C aborts and restarts them.
        </Text>
        <Text> </Text>
        <Text>
          Press <Text bold>Enter</Text> to start, <Text bold>q</Text> to go back.
        </Text>
        <Text> </Text>
        <Text>
          Or <Text bold>s</Text>: sync the repository to the cloud (<Text bold>backup-tui sync</Text>);{" "}
          <Text bold>v</Text>: verify it (<Text bold>backup-tui verify</Text> at VERIFICATION_DEPTH).
        </Text>
      </Box>
    );
  }
  const stackW = Math.max(10, Math.min(24, ...state.rows.map((r) => r.stack.length + 1)));
  const phaseW = 12;
  const barW = Math.max(6, Math.min(20, width - stackW - phaseW - 40));
  const logLines = Math.max(2, height - state.rows.length - 6);
  const r = state.report;
  const headline =
    state.status === "running"
      ? state.aborting
        ? "Aborting: stopping restic and restarting stacks…"
        : `Backing up${state.runId ? ` (run #${state.runId})` : ""}${state.phase ? ` · ${state.phase}` : ""}…`
      : state.status === "done" && r
        ? `Run #${r.runId} ${r.status} (exit ${r.exitCode}). Enter: run again.`
        : "The run did not complete. Enter: try again.";
  return (
    <Box flexDirection="column">
      <Text
        bold
        color={
          state.status === "error" || r?.status === "failed" ? "red" : state.status === "done" ? "green" : undefined
        }
        wrap="truncate-end"
      >
        {headline}
      </Text>
      <RunError error={state.error} />
      {state.rows.length ? (
        <Text
          bold
        >{`${fit("STACK", stackW)}${fit(state.status === "running" ? "PHASE" : "", phaseW)}${state.rows.some((x) => x.outcome) ? `${fit("RESULT", 10)}${fit("DOWNTIME", 10)}${fit("ADDED", 11)}SNAPSHOT` : "PROGRESS"}`}</Text>
      ) : null}
      {state.rows.map((row) => (
        <Text key={row.stack} wrap="truncate-end">
          {fit(row.stack, stackW)}
          {fit(row.outcome ? "" : row.phase ? `${phaseLabel(row.phase)}` : "waiting", phaseW)}
          <Text color={row.outcome?.status === "failed" ? "red" : undefined}>{progressCells(row, barW)}</Text>
        </Text>
      ))}
      {state.rows.flatMap((row) =>
        (row.outcome?.notRestarted ?? []).map((f) => (
          <Text key={row.stack + f.name} color="red" wrap="wrap">
            URGENT: {f.name} ({row.stack}) is not running again: {f.reason}
          </Text>
        )),
      )}
      {r?.warnings.slice(0, 2).map((w) => (
        <Text key={w} color="yellow" wrap="truncate-end">
          ! {w}
        </Text>
      ))}
      <LogTail log={state.log} count={logLines} />
    </Box>
  );
}
