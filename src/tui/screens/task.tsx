import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import { bar, duration } from "../format";
import { transferFraction, transferText } from "../../rclone/progress-text";
import type { TaskState } from "../use-task-run";
import { LogTail } from "../components/log-tail";
import { RunError } from "../components/run-error";

const VERB = { restore: "Restoring", sync: "Syncing", verify: "Verifying", disaster: "Recovering" } as const;

/** A restore, sync or verify: phase, elapsed time, transfer progress, the log tail, then the summary. */
export function TaskView({ state, width, height }: { state: TaskState; width: number; height: number }) {
  // Elapsed time ticks while it runs (restic check and restore report no progress of their own).
  const [, setNow] = useState(0);
  useEffect(() => {
    if (state.status !== "running") return;
    const t = setInterval(() => setNow((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [state.status]);
  const took = state.startedAt ? duration((state.finishedAt ?? Date.now()) - state.startedAt) : "";
  const kind = state.kind ?? "restore";
  const headline =
    state.status === "running"
      ? state.aborting
        ? "Aborting: stopping the child processes and restarting stacks…"
        : `${VERB[kind]}… ${took}${state.phase ? ` · ${state.phase}` : ""}`
      : state.status === "done"
        ? `${kind} ${state.ok ? "finished" : "finished with problems"} in ${took}. Enter: back up · s sync · v verify`
        : `${kind} did not complete (${took}).`;
  const t = state.transfer;
  const summary = state.status === "done" ? state.summary : [];
  const logLines = Math.max(2, height - 4 - summary.length - (state.error ? 2 : 0) - (t ? 1 : 0));
  return (
    <Box flexDirection="column">
      <Text
        bold
        wrap="truncate-end"
        color={state.status === "error" || state.ok === false ? "red" : state.status === "done" ? "green" : undefined}
      >
        {headline}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {state.title}
      </Text>
      <RunError error={state.error} />
      {t && state.status === "running" ? (
        <Text wrap="truncate-end">
          {bar(transferFraction(t), Math.max(6, Math.min(20, width - 60)))} {transferText(state.phase ?? kind, 1, t)}
        </Text>
      ) : null}
      {summary.map((l, i) => (
        <Text key={i} wrap="wrap" color={/^(URGENT|THE CLOUD|.*FAILED)/.test(l) ? "red" : undefined}>
          {l}
        </Text>
      ))}
      <LogTail log={state.log} count={logLines} />
    </Box>
  );
}
