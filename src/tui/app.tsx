import { Box, Text, useApp, useInput, useWindowSize } from "ink";
import { useCallback, useEffect, useRef, useState } from "react";
import { ExitCode } from "../errors";
import { restoreLabel, type DisasterChoice, type RestoreChoice, type TuiBackend } from "./backend";
import { Footer } from "./components/footer";
import { HelpOverlay } from "./components/help-overlay";
import { TabBar } from "./components/tab-bar";
import { globalKeys, INPUT_KEYS, MENU, SCREEN_KEYS, screenTitle, type ScreenId } from "./keymap";
import { BackupScreen } from "./screens/backup";
import { DashboardScreen } from "./screens/dashboard";
import { DisasterScreen } from "./screens/disaster";
import { FleetScreen } from "./screens/fleet";
import { HistoryScreen } from "./screens/history";
import { SchedulesScreen } from "./screens/schedules";
import { SnapshotsScreen } from "./screens/snapshots";
import { StacksScreen } from "./screens/stacks";
import { BackContext } from "./use-back-handler";
import { useBackupRun } from "./use-backup-run";
import { disasterSummary, restoreSummary, syncSummary, verifySummary } from "./summaries";
import { useTaskRun, type TaskKind, type TaskResult } from "./use-task-run";
import type { EventSink } from "../services/run/events";

interface Route {
  id: ScreenId;
  /** backup: the stacks asked for; snapshots: the stack filter; history: the schedule job. */
  names?: string[];
  /** snapshots: another host's (from the Fleet screen). */
  host?: string;
  /** Distinguishes two visits of the same screen (a new request resets it). */
  seq: number;
}

export interface AppProps {
  backend: TuiBackend;
  /** Called once with the exit code, just before the app unmounts. */
  onExit(code: number): void;
  /** Aborted from outside (SIGTERM, SIGHUP): abort a running backup, then quit. */
  signal?: AbortSignal;
  /** For tests: the terminal size (ink's own otherwise). */
  size?: { columns: number; rows: number };
}

const HEADER_LINES = 2;
const FOOTER_LINES = 3;

/** The shell: main menu (tabs), screen router, footer, help overlay, quit and Ctrl-C handling. */
export function App({ backend, onExit, signal, size }: AppProps) {
  const { exit } = useApp();
  const window = useWindowSize();
  const { columns, rows } = size ?? window;
  const [stack, setStack] = useState<Route[]>([{ id: "dashboard", seq: 0 }]);
  const [help, setHelp] = useState(false);
  const [captured, setCaptured] = useState(false);
  const [hint, setHint] = useState<string>();
  /** A pane open inside the screen (a snapshot's files, a run's details): its keys differ. */
  const [pane, setPane] = useState<ScreenId>();
  const [flash, setFlash] = useState<string>();
  const [quitting, setQuitting] = useState<number>();
  const [reloadKey, setReloadKey] = useState(0);
  const backRef = useRef<(() => boolean) | undefined>(undefined);
  const run = useBackupRun(backend);
  /** A restore, sync or verify: one at a time, and never beside a backup. */
  const task = useTaskRun();
  /** What the run screen (3) shows: the backup, or the last restore/sync/verify. */
  const [show, setShow] = useState<"backup" | "task">("backup");
  const busy = run.running || task.running;
  const route = stack[stack.length - 1];
  const atRoot = stack.length === 1;

  // Leaves once nothing is running: a Ctrl-C during a backup waits for the stacks to be restarted.
  useEffect(() => {
    if (quitting === undefined || busy) return;
    onExit(quitting);
    exit();
  }, [quitting, busy, onExit, exit]);
  useEffect(() => {
    if (run.state.status === "done" || run.state.status === "error") setReloadKey((k) => k + 1);
  }, [run.state.status]);
  useEffect(() => {
    if (task.state.status === "done" || task.state.status === "error") setReloadKey((k) => k + 1);
  }, [task.state.status]);
  const quit = useCallback(
    (code: number) => {
      if (run.running) run.abort();
      if (task.running) task.abort();
      setQuitting(code);
    },
    [run, task],
  );
  useEffect(() => {
    if (!signal) return;
    const onAbort = () => quit(busy ? ExitCode.sigterm : ExitCode.ok);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    return () => signal.removeEventListener("abort", onAbort);
  }, [signal, quit, busy]);

  const go = useCallback((id: ScreenId, names?: string[], host?: string) => {
    setHint(undefined);
    setPane(undefined);
    setStack((s) => (id === "dashboard" ? [s[0]] : [s[0], { id, names, host, seq: (s.at(-1)?.seq ?? 0) + 1 }]));
  }, []);
  const onPane = useCallback(
    (p: "list" | "files" | "run" | "restore" | "log") => setPane(p === "list" ? undefined : p),
    [],
  );
  const startBackupScreen = useCallback(
    (names?: string[]) => {
      if (!run.running) run.reset();
      if (!task.running && names) setShow("backup");
      go("backup", names);
    },
    [run, task.running, go],
  );
  const startTask = useCallback(
    (
      kind: TaskKind,
      title: string,
      work: (signal: AbortSignal, emit: EventSink) => Promise<TaskResult>,
      stay = false,
    ): boolean => {
      if (run.running || task.running) {
        setFlash(`${run.running ? "a backup" : "a run"} is in progress: wait for it to finish (Ctrl-C aborts it)`);
        return false;
      }
      if (!task.start(kind, title, work)) return false;
      setShow("task");
      if (!stay) go("backup");
      return true;
    },
    [run.running, task, go],
  );
  const onRestore = useCallback(
    (choice: RestoreChoice, password: string | undefined) =>
      startTask(
        "restore",
        `restore ${restoreLabel(choice)} from ${choice.snapshot.shortId}${choice.target ? ` under ${choice.target}` : " in place"}`,
        async (sig, emit) => restoreSummary(await backend.restore(choice, password, sig, emit), choice),
      ),
    [backend, startTask],
  );
  const onSync = useCallback(
    () =>
      startTask("sync", "sync the repository to the cloud (backup-tui sync)", async (sig, emit) =>
        syncSummary(await backend.sync(sig, emit)),
      ),
    [backend, startTask],
  );
  // The recovery's progress and report stay on its own screen (3 shows them too).
  const onDisaster = useCallback(
    (choice: DisasterChoice, password: string | undefined) =>
      startTask(
        "disaster",
        `bare-metal recovery (backup-tui restore --disaster${choice.host ? ` --host ${choice.host}` : ""}${choice.overwrite ? " --overwrite" : ""})`,
        async (sig, emit) => disasterSummary(await backend.disaster!.run(choice, password, sig, emit)),
        true,
      ),
    [backend, startTask],
  );
  const onRecoveryShown = useCallback((shown: boolean) => setPane(shown ? "recovery" : undefined), []);
  const onVerify = useCallback(
    () =>
      startTask("verify", "verify the repository (backup-tui verify at VERIFICATION_DEPTH)", async (sig, emit) =>
        verifySummary(await backend.verify(sig, emit)),
      ),
    [backend, startTask],
  );

  useInput((input, key) => {
    if (key.ctrl && input === "c") {
      if (quitting !== undefined && busy) setFlash("still stopping restic and restarting stacks; please wait");
      else quit(busy ? ExitCode.sigint : ExitCode.ok);
      return;
    }
    if (quitting !== undefined) return;
    if (help) {
      setHelp(false);
      return;
    }
    if (captured) return;
    setFlash(undefined);
    if (input === "?") setHelp(true);
    else if (input === "q" || key.escape) {
      if (backRef.current?.()) return;
      if (!atRoot) go("dashboard");
      else if (busy)
        setFlash(
          `a ${run.running ? "backup" : (task.state.kind ?? "run")} is running: Ctrl-C aborts it (stacks are restarted) and quits`,
        );
      else quit(ExitCode.ok);
    } else {
      const m = MENU.find((x) => x.key === input);
      if (m) m.id === "backup" ? startBackupScreen(route.id === "backup" ? route.names : undefined) : go(m.id);
    }
  });

  const screenId: ScreenId = pane ?? route.id;
  const keys = captured ? INPUT_KEYS : [...SCREEN_KEYS[screenId], ...globalKeys(atRoot)];
  const hintLines = hint ? Math.ceil(hint.length / Math.max(20, columns)) : 0;
  const body = Math.max(4, rows - HEADER_LINES - FOOTER_LINES - hintLines - 1);
  const active = !help && quitting === undefined;

  let screen;
  switch (route.id) {
    case "dashboard":
      screen = (
        <DashboardScreen
          backend={backend}
          width={columns}
          height={body}
          active={active}
          reloadKey={reloadKey}
          onBackup={startBackupScreen}
          onSnapshots={(s) => go("snapshots", s ? [s] : undefined)}
          onDisaster={() => go("disaster")}
        />
      );
      break;
    case "stacks":
      screen = (
        <StacksScreen
          key={route.seq}
          backend={backend}
          width={columns}
          height={body}
          active={active}
          onCapture={setCaptured}
        />
      );
      break;
    case "backup":
      screen = (
        <BackupScreen
          state={run.state}
          backend={backend}
          names={route.names}
          width={columns}
          height={body}
          active={active}
          onStart={(names) => (setShow("backup"), run.start(names))}
          task={task.state}
          show={show}
          onSync={onSync}
          onVerify={onVerify}
          onShowBackup={() => (run.reset(), setShow("backup"))}
        />
      );
      break;
    case "snapshots":
      screen = (
        <SnapshotsScreen
          key={route.seq}
          backend={backend}
          width={columns}
          height={body}
          active={active}
          initialStack={route.names?.[0]}
          host={route.host}
          onCapture={setCaptured}
          onHint={setHint}
          onPane={onPane}
          onRestore={onRestore}
        />
      );
      break;
    case "schedules":
      screen = (
        <SchedulesScreen
          key={route.seq}
          backend={backend}
          width={columns}
          height={body}
          active={active}
          reloadKey={reloadKey}
          onHistory={(job) => go("history", [job])}
        />
      );
      break;
    case "disaster":
      screen = (
        <DisasterScreen
          key={route.seq}
          backend={backend}
          task={task.state}
          width={columns}
          height={body}
          active={active}
          onCapture={setCaptured}
          onStart={onDisaster}
          onRunShown={onRecoveryShown}
        />
      );
      break;
    case "history":
      screen = (
        <HistoryScreen
          key={route.seq}
          backend={backend}
          width={columns}
          height={body}
          active={active}
          initialJob={route.names?.[0]}
          reloadKey={reloadKey}
          onPane={onPane}
        />
      );
      break;
    case "fleet":
      screen = (
        <FleetScreen
          key={route.seq}
          backend={backend}
          width={columns}
          height={body}
          active={active}
          onSnapshots={(host, s) => go("snapshots", s ? [s] : undefined, host)}
        />
      );
      break;
  }
  return (
    <BackContext.Provider value={backRef}>
      <Box flexDirection="column" width={columns}>
        <TabBar current={screenId} running={busy} width={columns} />
        <Box height={1} />
        {help ? (
          <HelpOverlay title={screenTitle(screenId)} keys={SCREEN_KEYS[screenId]} global={globalKeys(atRoot)} />
        ) : null}
        {/* Hidden, not unmounted, under the help: an open pane, the cursor and filters survive it. */}
        <Box flexDirection="column" height={body} display={help ? "none" : "flex"}>
          {screen}
        </Box>
        {quitting !== undefined && busy ? (
          <Text color="yellow" bold>
            Quitting: stopping restic and restarting stacks first…
          </Text>
        ) : null}
        {flash ? (
          <Text color="yellow" wrap="truncate-end">
            {flash}
          </Text>
        ) : null}
        <Footer keys={keys} hint={hint} />
      </Box>
    </BackContext.Provider>
  );
}
