import { diffJob, type DiffReport } from "../usecases/diff";
import { btui } from "../command-hint";
import { setIniValue } from "../config/edit";
import { DirlistFile, entryKey } from "../docker/dirlist";
import type { StackState } from "../docker/discovery";
import { UsageError } from "../errors";
import type { BackupReport } from "../services/backup/backup";
import { ensureIndexed, refreshCatalog } from "../services/snapshots/catalog";
import type { ServiceContext } from "../services/run/context";
import type { EventSink } from "../services/run/events";
import type { RestoreReport } from "../services/restore/restore";
import { checkConfirmPassword, passwordRequired, unguardedWarning } from "../security/confirm";
import { restoreAction, restoreJob, restoreLabel } from "../usecases/restore";
import { runLog, type LogEntry } from "../services/run/run-log";
import { scheduleRows, type ScheduleRow } from "../services/status/schedules";
import { selectStacks, type Selection } from "../services/stacks/selection";
import { readSelection as readSelectionOf } from "../services/status/seen-stacks";
import { readStatus } from "../services/status/status";
import { installedAt } from "../schedule/install";
import { scheduleDrift } from "../schedule/drift";
import { pausedJobs } from "../schedule/jobs";
import type { CatalogFile, CatalogSnapshot, SnapshotFilter } from "../state/catalog";
import type { RunFilter, RunRow, StackResultRow } from "../state/store";
import type { ServiceEvent } from "../services/run/events";
import { dashboardOf, DIRLIST_FIX } from "./backend-dashboard";
import { backupJob } from "../usecases/backup";
import { syncJob, type SyncJobReport } from "../usecases/sync";
import { verifyJob, type VerifyJobReport } from "../usecases/verify";
import { disasterBackend, type DisasterBackend } from "./backend-disaster";
import { fleetStatus, type FleetReport } from "../usecases/fleet";

export type { DisasterChoice, DisasterPlan } from "./backend-disaster";

import type { Dashboard } from "./backend-dashboard";
export type { CopyStatus, Dashboard, StackStatus } from "./backend-dashboard";

/** One scheduled job, as `backup-tui schedule list` shows it. */
export type { ScheduleRow };

export interface Schedules {
  jobs: ScheduleRow[];
  /** Where the schedule is installed (systemd timers, a cron file); empty: not installed. */
  installed: string[];
  /** Installed units or cron lines that no longer match the config: `schedule install` again. */
  drift?: string[];
  /** Job ids switched off with [schedule] PAUSED. */
  paused?: string[];
}

/** What to restore: a stack or a volume of a snapshot, all of it or one file or folder, in place or under a directory. */
export interface RestoreChoice {
  snapshot: CatalogSnapshot;
  scope: { kind: "stack"; stack: string } | { kind: "volume"; volume: string };
  file?: string;
  target?: string;
}

/** What a restore would do, for the confirmation screen (a dry run: nothing written). */
export interface RestorePreview {
  /** Live paths (in place) or paths under the target, with what would change there. */
  paths: Array<{ path: string; added: number; changed: number; removed: number; bytes: number }>;
  /** Running containers it stops while it writes (in place). */
  stops: string[];
  /** Why it stops them, or why nothing stops (in place). */
  stopReason?: string;
  /** The gate: in place needs the confirmation password when CONFIRM_PASSWORD_HASH is set. */
  needsPassword: boolean;
  /** In place without a confirmation password set: the CLI's warning. */
  unguarded?: string;
}

/** One row of the stack selection screen (the dirlist). */
export interface SelectionRow {
  /** The dirlist key: a stack name or EXT:/path. */
  key: string;
  kind: "stack" | "external";
  enabled: boolean;
  /** Listed in the dirlist file at all (an unlisted stack is disabled). */
  listed: boolean;
  found: boolean;
  state?: StackState;
}

/**
 * Everything the TUI asks of the services, in one small interface: the hooks depend on it,
 * the real one wraps a ServiceContext, tests pass a fake. No Ink here, no process spawning
 * of its own: every call goes through the services.
 */
export interface TuiBackend {
  dashboard(): Promise<Dashboard>;
  /** dirlistError: the file has a line it cannot read (the rows are the stacks found, none enabled). */
  selection(): Promise<{ rows: SelectionRow[]; file: string; warnings: string[]; dirlistError?: string }>;
  setEnabled(key: string, enabled: boolean): Promise<void>;
  /** Adds EXT:/path enabled; resolves to the key as written (the path normalised: "EXT:/srv/data"). */
  addExternal(path: string): Promise<string | void>;
  /** The selection, then the backup job (lock, preflight, backup, after-run), like `backup-tui backup [names]`. */
  runBackup(names: string[] | undefined, signal: AbortSignal, emit: EventSink): Promise<BackupReport>;
  listSnapshots(filter: SnapshotFilter): CatalogSnapshot[];
  /** How many snapshots a filter matches: the Snapshots screen pages through long listings with it. */
  countSnapshots?(filter: SnapshotFilter): number;
  refreshSnapshots(signal?: AbortSignal): Promise<{ added: number; removed: number; total: number }>;
  /** Indexes the snapshot's tree on first use (restic ls), then lists one directory. */
  index(snap: CatalogSnapshot, signal?: AbortSignal): Promise<void>;
  children(snapshotId: string, dir: string): CatalogFile[];
  /** The scheduled jobs with their last and next runs (what `backup-tui schedule list` shows). */
  schedules(): Promise<Schedules>;
  /** Run history from the state store, newest first. */
  runs(filter: Pick<RunFilter, "limit" | "kind" | "job">): RunRow[];
  /** A run's per-stack results. */
  runStacks(runId: number): StackResultRow[];
  /** A run's lines from the log file (its pid, between its start and finish). */
  runLog(run: RunRow): LogEntry[];
  /** What a snapshot's backup changed since the snapshot before it (`backup-tui diff SNAP`). */
  diff?(snapshotId: string, signal?: AbortSignal): Promise<DiffReport>;
  /** Every host publishing its status into the repository, worst first (`backup-tui status --fleet`). */
  fleet?(signal?: AbortSignal): Promise<FleetReport>;
  /** What the restore would change and stop, without writing anything. */
  previewRestore(choice: RestoreChoice, signal?: AbortSignal): Promise<RestorePreview>;
  /** The confirmation password against CONFIRM_PASSWORD_HASH (a wrong one is logged, like the CLI's guard). */
  checkConfirmPassword(password: string, choice: RestoreChoice): boolean;
  /**
   * `backup-tui restore`: under a target directory as is; in place only with the right confirmation
   * password (when one is set), under the repository lock, after recovery of dead runs.
   */
  restore(
    choice: RestoreChoice,
    password: string | undefined,
    signal: AbortSignal,
    emit: EventSink,
  ): Promise<RestoreReport>;
  /** The sync job, as `backup-tui sync` runs it: the lock, preflight, the copy, the recovery kit beside it. */
  sync(signal: AbortSignal, emit: EventSink): Promise<SyncJobReport>;
  /** The verify job at the configured VERIFICATION_DEPTH (what the VERIFY schedule runs), under the lock. */
  verify(signal: AbortSignal, emit: EventSink): Promise<VerifyJobReport>;
  /** Switches a scheduled job off or on ([schedule] PAUSED in the config file). */
  setJobEnabled(id: string, enabled: boolean): Promise<void>;
  /** Bare-metal recovery (`restore --disaster`); the real backend always has it. */
  disaster?: DisasterBackend;
}

/** The CLI's words for a restore: "stack web", "/srv/x of volume data". */
export { restoreLabel };

export function createBackend(ctx: ServiceContext, configWarnings: string[] = ctx.config.warnings): TuiBackend {
  const dirlist = () => new DirlistFile(ctx.config.dirlistFile);
  // Events go to the log file too, as the CLI's eventSink writes them (a run's log is read back from it).
  const logged =
    (emit: EventSink): EventSink =>
    (e: ServiceEvent) => {
      emit(e);
      if (e.type === "warning") ctx.log.warn({ stack: e.stack }, e.message);
      else if (e.type !== "progress") ctx.log.info({ event: e }, e.type);
    };
  // The action each previewed choice confirms, naming the live paths it replaces (as the CLI's prompt does).
  const actions = new WeakMap<RestoreChoice, string>();
  /** The selection; a dirlist it cannot read gives the stacks found, none enabled, and what to fix. */
  const readSelection = async (): Promise<{ sel: Selection; dirlistError?: string }> => {
    const { sel, dirlistError } = await readSelectionOf(ctx, dirlist());
    return { sel, dirlistError: dirlistError && `${dirlistError}${DIRLIST_FIX}` };
  };
  return {
    async dashboard() {
      return dashboardOf(await readStatus(ctx, { discover: true, configWarnings }));
    },

    async selection() {
      const file = dirlist();
      const { sel, dirlistError } = await readSelection();
      const { entries, warnings } = dirlistError ? { entries: [], warnings: [] } : file.read();
      const listed = new Map(entries.map((e) => [entryKey(e), e]));
      const rows: SelectionRow[] = sel.known.map((s) => ({
        key: s.name,
        kind: s.source === "external" ? "external" : "stack",
        enabled: sel.enabled.has(s.name),
        listed: listed.has(s.name),
        found: s.source !== "external",
        state: s.source === "external" ? undefined : s.state,
      }));
      for (const [key, e] of listed) {
        if (!rows.some((r) => r.key === key))
          rows.push({ key, kind: e.kind, enabled: e.enabled, listed: true, found: false });
      }
      return { rows, file: file.path, warnings: [...new Set([...sel.warnings, ...warnings])], dirlistError };
    },

    setEnabled: (key, enabled) => (enabled ? dirlist().enable(key) : dirlist().disable(key)),
    // Typed as /path or as EXT:/path: the same entry.
    addExternal: (path) => dirlist().addExternal(path.trim().replace(/^EXT:/, "")),

    async runBackup(names, signal, emit) {
      const sel = await selectStacks(ctx, dirlist(), { names: names?.length ? names : undefined });
      for (const w of sel.warnings) emit({ type: "warning", message: w });
      if (sel.added.length)
        emit({ type: "info", message: `new stacks added to the dirlist (disabled): ${sel.added.join(", ")}` });
      if (!sel.selected.length)
        throw new UsageError(
          "no stack is selected for backup",
          "Enable stacks on the Stacks screen (2), or pick one on the dashboard and press Enter.",
        );
      return backupJob(ctx, { stacks: sel.selected, trigger: "manual", parallel: 1 }, { emit: logged(emit), signal });
    },

    listSnapshots: (filter) => ctx.store.catalog.list(filter),
    countSnapshots: (filter) => ctx.store.catalog.countMatching(filter),
    refreshSnapshots: (signal) => refreshCatalog(ctx, signal),
    index: (snap, signal) => ensureIndexed(ctx, snap, signal),
    children: (id, dir) => ctx.store.catalog.children(id, dir),

    async schedules() {
      return {
        jobs: scheduleRows(ctx, 3),
        installed: installedAt(),
        drift: scheduleDrift(ctx.config),
        paused: pausedJobs(ctx.config),
      };
    },
    runs: (filter) => ctx.store.runs(filter),
    runStacks: (id) => ctx.store.stackResults(id),
    runLog(run) {
      // The same process's neighbouring runs (the TUI or the daemon runs several) bound this one's lines.
      const mine = ctx.store.runs({ limit: 200 }).filter((r) => r.pid === run.pid && r.id !== run.id);
      const prev = mine.find((r) => r.id < run.id);
      const next = mine.filter((r) => r.id > run.id).at(-1);
      return runLog(ctx.config.stateDir, run, { prevFinished: prev?.finishedAt, nextStarted: next?.startedAt });
    },

    fleet(signal) {
      return fleetStatus(ctx, { signal });
    },
    diff(snapshotId, signal) {
      return diffJob(ctx, { from: snapshotId }, { signal: signal ?? new AbortController().signal });
    },
    async previewRestore(choice, signal) {
      const hooks = { emit: () => undefined, signal: signal ?? new AbortController().signal };
      const p = await restoreJob(ctx, { ...choice, dryRun: true }, hooks);
      const inPlace = !choice.target;
      if (inPlace)
        actions.set(
          choice,
          restoreAction(
            choice,
            p.mappings.map((m) => m.live),
          ),
        );
      return {
        paths: (p.diff ?? []).map((d) => ({
          path: d.live,
          added: d.added.length,
          changed: d.changed.length,
          removed: d.removed.length,
          bytes: d.bytes,
        })),
        stops: p.stops ?? [],
        stopReason: p.stopReason,
        needsPassword: inPlace && passwordRequired(ctx.config),
        unguarded: inPlace && !passwordRequired(ctx.config) ? unguardedWarning() : undefined,
      };
    },
    checkConfirmPassword: (password, choice) =>
      !!checkConfirmPassword(ctx, actions.get(choice) ?? restoreAction(choice), password),
    // The use case checks the password again (a match is not logged twice) before anything is touched.
    restore: (choice, password, signal, emit) =>
      restoreJob(ctx, { ...choice, confirmation: { password, again: true } }, { emit: logged(emit), signal }),
    sync: (signal, emit) => syncJob(ctx, {}, { emit: logged(emit), signal }),
    verify: (signal, emit) => verifyJob(ctx, {}, { emit: logged(emit), signal }),
    async setJobEnabled(id, enabled) {
      const file = ctx.config.source.file;
      if (!file)
        throw new UsageError(
          "no config file was read: there is nowhere to write [schedule] PAUSED",
          `Create one (\`${btui("init")}\`) or pass --config FILE.`,
        );
      const paused = new Set(pausedJobs(ctx.config));
      if (enabled) paused.delete(id);
      else paused.add(id);
      setIniValue(file, "schedule", "PAUSED", [...paused].sort().join(", "));
      ctx.config.schedule.paused = [...paused].sort().join(", ") || undefined;
    },
    disaster: disasterBackend(ctx, logged),
  };
}
