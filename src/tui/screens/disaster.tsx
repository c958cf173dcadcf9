import { btui } from "../../command-hint";
import { Box, Text, useInput } from "ink";
import { useCallback, useEffect, useState } from "react";
import { format } from "../../output";
import type { DisasterReport, StackRecovery } from "../../services/disaster/disaster";
import type { DisasterChoice, DisasterPlan, TuiBackend } from "../backend";
import { TextInput } from "../components/text-input";
import { duration, fit } from "../format";
import { describeError } from "../use-async";
import { useCloseOnBack } from "../use-back-handler";
import type { TaskState } from "../use-task-run";
import { LogTail } from "../components/log-tail";
import { RunError } from "../components/run-error";

export interface DisasterScreenProps {
  backend: TuiBackend;
  /** The App's task: a recovery runs there, so Ctrl-C anywhere reaches its AbortSignal. */
  task: TaskState;
  width: number;
  height: number;
  active: boolean;
  /** While text is typed every key is the input's (no screen keys). */
  onCapture(captured: boolean): void;
  /** Confirmed (and the password checked, when one is set): start the recovery; false when another run is going. */
  onStart(choice: DisasterChoice, password: string | undefined): boolean;
  /** Steps 3–4 shown (their keys differ) or not. */
  onRunShown(shown: boolean): void;
}

type Step = "plan" | "host" | "confirm" | "password" | "run";

const ABORT_NOTE =
  "Ctrl-C aborts it (through its AbortSignal) and quits: the journal keeps every finished step, so running the recovery again continues where it stopped.";

/**
 * `restore --disaster`, guided: 1 what happens and from where (an interrupted recovery is
 * continued), 2 the CLI's gate (yes, then the confirmation password when one is set),
 * 3 progress, 4 the report.
 */
export function DisasterScreen({
  backend,
  task,
  width,
  height,
  active,
  onCapture,
  onStart,
  onRunShown,
}: DisasterScreenProps) {
  const mine = task.kind === "disaster" && task.status !== "idle";
  const [step, setStep] = useState<Step>(mine ? "run" : "plan");
  const [plan, setPlan] = useState<DisasterPlan>();
  const [error, setError] = useState<string>();
  const [choice, setChoice] = useState<DisasterChoice>({ overwrite: false });
  const [text, setText] = useState("");
  const [wrong, setWrong] = useState(0);
  const [note, setNote] = useState<string>();
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    if (!backend.disaster) {
      setError(`this backend has no disaster recovery: use \`${btui("restore --disaster")}\``);
      return;
    }
    let gone = false;
    backend.disaster.plan().then(
      (p) => !gone && setPlan(p),
      (err) => !gone && setError(describeError(err)),
    );
    return () => {
      gone = true;
    };
  }, [backend, reloads]);
  const typing = step === "host" || step === "confirm" || step === "password";
  useEffect(() => onCapture(typing), [typing, onCapture]);
  useEffect(() => () => onCapture(false), [onCapture]);
  const runShown = step === "run" && mine;
  useEffect(() => onRunShown(runShown), [runShown, onRunShown]);
  const start = (pw: string | undefined) => {
    setText("");
    setStep(onStart(choice, pw) ? "run" : "plan");
  };
  const back = useCallback(() => {
    setText("");
    setStep("plan");
  }, []);
  useCloseOnBack(back, active && step !== "plan" && step !== "run" && !typing);

  useInput(
    (input, key) => {
      if (step === "plan") {
        if (!plan) return;
        if (key.return) {
          setNote(undefined);
          setText("");
          setStep("confirm");
        } else if (input === "o") setChoice((c) => ({ ...c, overwrite: !c.overwrite }));
        else if (input === "h") {
          setText(choice.host ?? "");
          setStep("host");
        }
      } else if (step === "run" && task.status !== "running" && key.return) {
        setNote(undefined);
        setReloads((n) => n + 1);
        setStep("plan");
      }
    },
    { isActive: active && !typing },
  );

  const host = choice.host ?? plan?.host;
  let body;
  if (step === "run" && mine) body = <Progress task={task} width={width} height={height} />;
  else if (error)
    body = (
      <Text color="red" wrap="wrap">
        error: {error}
      </Text>
    );
  else if (!plan) body = <Text>reading the configuration and the recovery journal…</Text>;
  else {
    body = (
      <Box flexDirection="column">
        <Text bold wrap="wrap">
          Step {step === "plan" || step === "host" ? 1 : 2} of 4 · Recover host {host} onto this machine (restore
          --disaster)
        </Text>
        <Text wrap="wrap">
          pulls from:{" "}
          {plan.remote
            ? `${plan.remote} → ${plan.repository} (restic check)`
            : `nowhere (no [cloud_sync] RCLONE_REMOTE): uses ${plan.repository} as it is`}
        </Text>
        <Text wrap="wrap">
          It recreates networks and volumes, restores each stack and volume of the newest doomsday snapshot, loads
          images and database dumps, starts the stacks that ran.
        </Text>
        <Text wrap="wrap">
          overwrite:{" "}
          {choice.overwrite
            ? "ON — restores over what exists here (stack data: a safety snapshot first)"
            : "off — refuses if anything it recreates exists here"}
        </Text>
        {plan.journal ? (
          <Text color="yellow" wrap="wrap">
            An interrupted recovery was found (begun {format.when(plan.journal.startedAt)}, {plan.journal.steps} step(s)
            done{plan.journal.host ? `, host ${plan.journal.host}` : ""}
            {plan.journal.snapshot ? `, snapshot ${plan.journal.snapshot.slice(0, 8)}` : ""}; {plan.journal.file}).
            Enter continues it: finished steps are skipped.
          </Text>
        ) : null}
        {plan.unguarded ? (
          <Text color="yellow" wrap="wrap">
            warning: {plan.unguarded}
          </Text>
        ) : null}
        <Text dimColor wrap="wrap">
          Ctrl-C during the run aborts it and quits; a rerun continues from the journal.
        </Text>
        {note ? (
          <Text color="red" wrap="wrap">
            {note}
          </Text>
        ) : (
          <Text> </Text>
        )}
        {step === "plan" ? (
          <Text wrap="wrap">
            <Text bold>Enter</Text>{" "}
            {plan.journal ? "continue the interrupted recovery" : "go on (asks for confirmation)"} · <Text bold>o</Text>{" "}
            overwrite · <Text bold>h</Text> host · <Text bold>Esc</Text> back
          </Text>
        ) : null}
        {step === "host" ? (
          <Box flexDirection="column">
            <TextInput
              label="old host name: "
              value={text}
              onChange={setText}
              onCancel={back}
              onSubmit={(v) => {
                setChoice((c) => ({ ...c, host: v.trim() || undefined }));
                back();
              }}
            />
            <Text dimColor>Enter keeps it (empty: {plan.host}), Esc cancels.</Text>
          </Box>
        ) : null}
        {step === "confirm" ? (
          <Box flexDirection="column">
            <TextInput
              label={`Type yes to recover host ${host}${choice.overwrite ? " (overwriting what exists)" : ""}: `}
              value={text}
              onChange={setText}
              onCancel={back}
              onSubmit={(v) => {
                const a = v.trim().toLowerCase();
                if (a !== "y" && a !== "yes") {
                  setNote("not confirmed; nothing was changed");
                  back();
                } else if (plan.needsPassword) {
                  setText("");
                  setStep("password");
                } else start(undefined);
              }}
            />
            <Text dimColor>Enter confirms, Esc cancels.</Text>
          </Box>
        ) : null}
        {step === "password" ? (
          <Box flexDirection="column">
            {wrong ? (
              <Text color="red">
                wrong confirmation password; nothing was changed{wrong > 1 ? ` (${wrong} tries)` : ""}
              </Text>
            ) : null}
            <TextInput
              label="confirmation password: "
              value={text}
              mask
              onChange={setText}
              onCancel={back}
              onSubmit={(pw) => {
                if (backend.disaster?.checkPassword(pw, choice)) start(pw);
                else {
                  setWrong((n) => n + 1);
                  setText("");
                }
              }}
            />
            <Text dimColor>Enter checks it, Esc cancels.</Text>
          </Box>
        ) : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      {body}
    </Box>
  );
}

/** Step 3 (phases, elapsed time, log tail) and step 4 (the report, or why it stopped). */
function Progress({ task, width, height }: { task: TaskState; width: number; height: number }) {
  const [, setNow] = useState(0);
  useEffect(() => {
    if (task.status !== "running") return;
    const t = setInterval(() => setNow((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [task.status]);
  const took = task.startedAt ? duration((task.finishedAt ?? Date.now()) - task.startedAt) : "";
  if (task.status === "done" && task.disaster) return <Report r={task.disaster} width={width} height={height} />;
  const running = task.status === "running";
  const logLines = Math.max(2, height - 6 - (task.error ? 3 : 0));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end" color={task.status === "error" ? "red" : undefined}>
        {running
          ? task.aborting
            ? "Step 3 of 4 · Aborting: stopping the child processes…"
            : `Step 3 of 4 · Recovering… ${took}${task.phase ? ` · ${task.phase}` : ""}`
          : `The recovery did not complete (${took}).`}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {task.title}
      </Text>
      <RunError error={task.error}>
        <Text wrap="wrap">
          The journal keeps the finished steps: Enter (or `{btui("restore --disaster")}`) runs it again and continues.
        </Text>
      </RunError>
      {running ? (
        <Text color="yellow" wrap="wrap">
          {ABORT_NOTE}
        </Text>
      ) : null}
      <LogTail log={task.log} count={logLines} />
    </Box>
  );
}

const SEVERITY: Record<StackRecovery["state"], number> = {
  failed: 0,
  unhealthy: 1,
  stopped: 2,
  running: 3,
  "not-started": 4,
};
const STATE_COLOR: Record<StackRecovery["state"], string | undefined> = {
  running: "green",
  unhealthy: "yellow",
  stopped: "yellow",
  failed: "red",
  "not-started": undefined,
};

/** Step 4: each stack's state, what was created, what is left to do by hand, the warnings. */
function Report({ r, width, height }: { r: DisasterReport; width: number; height: number }) {
  const ok = r.exitCode === 0;
  const nameW = Math.max(10, Math.min(24, width - 50));
  const rest: Array<{ text: string; color?: string }> = [];
  for (const s of r.stacks) if (s.error) rest.push({ text: `${s.stack}: ${s.error}`, color: "red" });
  if (r.created.networks.length) rest.push({ text: `created networks: ${r.created.networks.join(", ")}` });
  if (r.created.volumes.length) rest.push({ text: `created volumes: ${r.created.volumes.join(", ")}` });
  if (r.imagesLoaded.length) rest.push({ text: `loaded images: ${r.imagesLoaded.join(", ")}` });
  for (const c of r.manualContainers)
    rest.push({
      text: `recreate by hand: ${c.name} (${c.image}), not a Compose container; its volumes are restored`,
      color: "yellow",
    });
  for (const [what, p] of Object.entries(r.files))
    rest.push({ text: `${what} from the old host is at ${p}: review it and put it in place by hand` });
  const shown = new Set(rest.map((x) => x.text));
  for (const w of r.warnings)
    if (!/recreate it by hand/.test(w) && !r.stacks.some((s) => s.error && w.endsWith(s.error)))
      shown.has(w) || rest.push({ text: `warning: ${w}`, color: "yellow" });
  // Many stacks: the worst first, so a failed one is never cut off.
  const stackRoom = Math.max(3, height - 5 - Math.min(rest.length, 4));
  const stacks =
    r.stacks.length > stackRoom
      ? [...r.stacks].sort((a, b) => SEVERITY[a.state] - SEVERITY[b.state]).slice(0, stackRoom - 1)
      : r.stacks;
  const hidden = r.stacks.length - stacks.length;
  const room = Math.max(1, height - 5 - stacks.length - (hidden ? 1 : 0));
  return (
    <Box flexDirection="column">
      <Text bold wrap="wrap" color={ok ? "green" : "red"}>
        Step 4 of 4 · {ok ? "Recovered" : "RECOVERED WITH PROBLEMS:"} {r.host} from doomsday snapshot{" "}
        {r.snapshot.slice(0, 8)} ({format.when(r.snapshotTime)}) in {duration(r.durationMs)}
        {r.resumed ? " (continued an interrupted recovery)" : ""}
      </Text>
      <Text wrap="truncate-end">
        created {r.created.networks.length} network(s), {r.created.volumes.length} volume(s) · exit {r.exitCode} ·
        Enter: back to step 1
      </Text>
      <Text bold wrap="truncate-end">
        {" "}
        {fit("STACK", nameW)} {fit("STATE", 24)} CONTAINERS
      </Text>
      {stacks.map((s) => (
        <Text key={s.stack} wrap="truncate-end" color={STATE_COLOR[s.state]} bold={s.state === "failed"}>
          {s.state === "failed" ? "! " : "  "}
          {fit(s.stack, nameW)} {fit(s.wasRunning ? s.state.toUpperCase() : "was stopped: not started", 24)}{" "}
          {s.containers.map((c) => `${c.name} ${c.status}${c.health ? `/${c.health}` : ""}`).join(", ") || "-"}
        </Text>
      ))}
      {hidden ? <Text dimColor> (+{hidden} more stack(s); the worst are listed first)</Text> : null}
      {rest.slice(0, room).map((x, i) => (
        <Text key={i} wrap="wrap" color={x.color}>
          {x.text}
        </Text>
      ))}
      {rest.length > room ? (
        <Text dimColor>
          (+{rest.length - room} more in <Text>backup-tui.log</Text>)
        </Text>
      ) : null}
    </Box>
  );
}
