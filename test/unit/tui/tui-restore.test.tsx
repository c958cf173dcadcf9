import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { BusyError } from "../../../src/errors";
import { Secret } from "../../../src/exec/redact";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import type { EventSink } from "../../../src/services/run/events";
import type { RestoreReport } from "../../../src/services/restore/restore";
import { runLog, type LogEntry } from "../../../src/services/run/run-log";
import type { SyncReport } from "../../../src/services/sync/sync";
import type { SyncJobReport } from "../../../src/usecases/sync";
import type { CatalogFile, CatalogSnapshot } from "../../../src/state/catalog";
import type { RunRow } from "../../../src/state/store";
import { App } from "../../../src/tui/app";
import {
  createBackend,
  type RestoreChoice,
  type RestorePreview,
  type Schedules,
  type TuiBackend,
} from "../../../src/tui/backend";
import { when } from "../../../src/format";
import { logLine } from "../../../src/tui/screens/run-log";
import { taskReducer, idleTask } from "../../../src/tui/use-task-run";
import { testContext, type TestContext } from "../../helpers/fakes";
import { KEY, press, tick, until } from "../../helpers/ink";

// Restore, sync, verify, a run's log and the schedule toggle, driven by keys over a fake backend
// (the real backend's password gate and log reader are checked at the end over real files).

const SNAP: CatalogSnapshot = {
  id: "c53e77c8" + "a".repeat(56),
  shortId: "c53e77c8",
  time: "2026-11-22T22:45:00.000Z",
  host: "h1",
  stack: "web",
  kind: "stack",
  tags: ["backup-tui", "stack:web", "kind:stack", "vol:web_data", "vol:web_db"],
  paths: ["/srv/web", "/var/lib/backup-tui/staging/web/manifest.json"],
  protected: false,
  indexed: true,
};
const file = (path: string, type = "file"): CatalogFile => ({
  snapshotId: SNAP.id,
  path,
  name: path.split("/").pop()!,
  type,
  size: 100,
});
const FILES: Record<string, CatalogFile[]> = {
  "/": [file("/srv", "dir")],
  "/srv": [file("/srv/web", "dir")],
  "/srv/web": [file("/srv/web/conf", "dir"), file("/srv/web/index.html")],
};
const SECRET = "hunter2-secret";

interface Fake {
  backend: TuiBackend;
  restores: Array<{ choice: RestoreChoice; password?: string; signal: AbortSignal; emit: EventSink }>;
  checked: string[];
  paused: string[];
}

function fake(
  o: {
    password?: boolean;
    restore?: (emit: EventSink, signal: AbortSignal) => Promise<RestoreReport>;
    sync?: TuiBackend["sync"];
    verify?: TuiBackend["verify"];
    runs?: RunRow[];
    log?: LogEntry[];
  } = {},
): Fake {
  const f: Fake = { restores: [], checked: [], paused: [], backend: undefined as unknown as TuiBackend };
  const report = (c: RestoreChoice): RestoreReport => ({
    mode: c.target ? "target" : "in-place",
    snapshot: SNAP.id,
    mappings: [{ source: c.file ?? "/srv/web", live: c.file ?? "/srv/web" }],
    safetySnapshot: c.target ? undefined : "5afe5afe00",
    createdVolumes: [],
    downtimeMs: 1200,
    notRestarted: [],
    exitCode: 0,
    runId: 9,
  });
  f.backend = {
    dashboard: async () => ({
      repository: "/repo",
      host: "h1",
      snapshotTotal: 1,
      stacks: [{ name: "web", state: "running", enabled: true, external: false, snapshots: 1 }],
      warnings: [],
    }),
    selection: async () => ({ rows: [], file: "/dirlist", warnings: [] }),
    setEnabled: async () => undefined,
    addExternal: async () => undefined,
    runBackup: async () => {
      throw new Error("not here");
    },
    listSnapshots: () => [SNAP],
    refreshSnapshots: async () => ({ added: 0, removed: 0, total: 1 }),
    index: async () => undefined,
    children: (_id, dir) => FILES[dir] ?? [],
    schedules: async (): Promise<Schedules> => ({
      jobs: [
        {
          id: "backup",
          key: "[schedule] BACKUP",
          cron: "0 3 * * *",
          description: "every day at 03:00",
          enabled: !f.paused.includes("backup"),
          why: f.paused.includes("backup") ? "paused ([schedule] PAUSED)" : undefined,
          next: [],
        },
      ],
      installed: ["systemd timers in /etc/systemd/system"],
      drift: f.paused.length
        ? [
            "the systemd timers in /etc/systemd/system differ from the config (no longer wanted: backup-tui-backup.timer): run `backup-tui schedule install --systemd` again",
          ]
        : [],
      paused: [...f.paused],
    }),
    runs: () => o.runs ?? [],
    runStacks: () => [],
    runLog: () => o.log ?? [],
    previewRestore: async (c): Promise<RestorePreview> => ({
      paths: [
        {
          path: c.target ? `${c.target}${c.file ?? "/srv/web"}` : (c.file ?? "/srv/web"),
          added: 1,
          changed: 2,
          removed: 0,
          bytes: 2048,
        },
      ],
      stops: c.target ? [] : ["web-app-1"],
      needsPassword: !c.target && !!o.password,
      unguarded:
        !c.target && !o.password
          ? "no confirmation password is set; anyone who can run backup-tui can do this."
          : undefined,
    }),
    checkConfirmPassword: (pw) => (f.checked.push(pw), pw === SECRET),
    restore: (choice, password, signal, emit) => {
      f.restores.push({ choice, password, signal, emit });
      return o.restore ? o.restore(emit, signal) : Promise.resolve(report(choice));
    },
    sync:
      o.sync ??
      (async () => {
        throw new Error("not here");
      }),
    verify:
      o.verify ??
      (async () => {
        throw new Error("not here");
      }),
    setJobEnabled: async (id, enabled) => {
      if (enabled) f.paused = f.paused.filter((p) => p !== id);
      else f.paused.push(id);
    },
  };
  return f;
}

function renderApp(backend: TuiBackend) {
  const exits: number[] = [];
  const r = render(<App backend={backend} size={{ columns: 80, rows: 24 }} onExit={(c) => exits.push(c)} />);
  return { ...r, exits };
}

let tc: TestContext | undefined;
afterEach(() => {
  cleanup();
  tc?.cleanup();
  tc = undefined;
});

/** Dashboard → Snapshots → Enter (the tree at /srv/web) → Down to index.html. */
async function openFile(stdin: { write(s: string): void }, lastFrame: () => string | undefined) {
  await until(lastFrame, /web/);
  await press(stdin, "4");
  await until(lastFrame, /› c53e77c8/);
  await press(stdin, KEY.enter);
  await until(lastFrame, /› conf\//);
  await press(stdin, KEY.down);
  await until(lastFrame, /› index\.html/);
}

describe("TUI restore", () => {
  it("Given a file and a confirmation password, When R, Enter and a wrong then the right password are typed, Then the wrong one changes nothing, the password never shows, and the restore runs with progress and a summary", async () => {
    let emit!: EventSink;
    let finish!: () => void;
    const f = fake({
      password: true,
      restore: (e) => (
        (emit = e),
        new Promise(
          (res) =>
            (finish = () =>
              res({
                mode: "in-place",
                snapshot: SNAP.id,
                mappings: [{ source: "/srv/web/index.html", live: "/srv/web/index.html" }],
                safetySnapshot: "5afe5afe00",
                createdVolumes: [],
                downtimeMs: 1200,
                notRestarted: [],
                exitCode: 0,
                runId: 9,
              })),
        )
      ),
    });
    const { lastFrame, stdin, frames } = renderApp(f.backend);
    await openFile(stdin, lastFrame);
    await press(stdin, "R");
    let fr = await until(lastFrame, /This OVERWRITES the live data at:/);
    expect(fr.replace(/\n/g, " ")).toContain(
      `Restore /srv/web/index.html of stack web from snapshot c53e77c8 (${when(SNAP.time)}) in place`,
    );
    expect(fr).toMatch(/\/srv\/web\/index\.html\s+\(\+1 new, ~2 changed, -0 removed; 2\.0 KiB\)/);
    expect(fr).toContain("It STOPS web-app-1 while it writes, and starts it again.");
    expect(fr).toContain("asks the confirmation password");
    expect(fr).toContain("[4 Snapshots]");
    await press(stdin, KEY.enter);
    await until(lastFrame, /confirmation password:/);
    // Digits and q are the input's while it is shown (no screen switch, no quit).
    await press(stdin, ..."1q2");
    expect(lastFrame()).toContain("confirmation password: ***");
    await press(stdin, KEY.enter);
    fr = await until(lastFrame, /wrong confirmation password; nothing was changed/);
    expect(f.checked).toEqual(["1q2"]);
    expect(f.restores).toEqual([]);
    await press(stdin, ...SECRET);
    await until(lastFrame, new RegExp(`confirmation password: \\*{${SECRET.length}}`));
    await press(stdin, KEY.enter);
    await until(lastFrame, /Restoring…/);
    expect(f.restores).toHaveLength(1);
    expect(f.restores[0].password).toBe(SECRET);
    expect(f.restores[0].choice).toMatchObject({
      scope: { kind: "stack", stack: "web" },
      file: "/srv/web/index.html",
      target: undefined,
    });
    emit({ type: "phase", stack: "web", phase: "stopping", detail: "web-app-1" });
    emit({ type: "phase", stack: "web", phase: "safety-snapshot" });
    emit({ type: "phase", stack: "web", phase: "restoring", detail: "/srv/web/index.html" });
    fr = await until(lastFrame, /restoring \/srv\/web\/index\.html/);
    expect(fr).toContain("[3 Backup]");
    expect(fr).toContain("web: stopping (web-app-1)");
    finish();
    fr = await until(lastFrame, /restore finished in/);
    expect(fr).toContain("restored /srv/web/index.html of stack web from c53e77c8 (run #9):");
    expect(fr).toContain("safety snapshot 5afe5afe (kind:pre-restore)");
    expect(fr).toContain("downtime: 1.2 s");
    // Not one frame ever showed the password, the wrong one included.
    for (const frame of frames) {
      expect(frame).not.toContain(SECRET);
      expect(frame).not.toContain("1q2");
    }
  });

  it("Given a folder, When t and a directory are typed, Then the confirmation says nothing live is touched, asks no password, and restores under it", async () => {
    const f = fake({ password: true });
    const { lastFrame, stdin } = renderApp(f.backend);
    await openFile(stdin, lastFrame);
    await press(stdin, KEY.up, "t");
    await until(lastFrame, /under directory:/);
    await press(stdin, ..."/tmp/out", KEY.enter);
    const fr = await until(lastFrame, /This writes \(nothing live is touched\):/);
    expect(fr.replace(/\n/g, " ")).toContain(
      `Restore /srv/web/conf of stack web from snapshot c53e77c8 (${when(SNAP.time)}) under /tmp/out`,
    );
    expect(fr).not.toContain("STOPS");
    await press(stdin, "y");
    await until(lastFrame, /restore finished in/);
    expect(f.checked).toEqual([]);
    expect(f.restores[0].choice).toMatchObject({ file: "/srv/web/conf", target: "/tmp/out" });
    expect(lastFrame()).toContain("/tmp/out/srv/web/conf");
  });

  it("Given a confirmation screen, When n or Esc is pressed, Then nothing is restored and the tree is where it was", async () => {
    const f = fake({ password: true });
    const { lastFrame, stdin } = renderApp(f.backend);
    await openFile(stdin, lastFrame);
    await press(stdin, "R");
    await until(lastFrame, /This OVERWRITES/);
    await press(stdin, "n");
    await until(lastFrame, /› index\.html/);
    await press(stdin, "R");
    await until(lastFrame, /This OVERWRITES/);
    await press(stdin, KEY.enter);
    await until(lastFrame, /confirmation password/);
    await press(stdin, KEY.esc);
    await until(lastFrame, /› index\.html/);
    expect(f.restores).toEqual([]);
  });

  it("Given no confirmation password is set, When the whole stack is restored from the list, Then the CLI's warning is shown and Enter restores without a password", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "4");
    await until(lastFrame, /› c53e77c8/);
    await press(stdin, "R");
    const fr = await until(lastFrame, /Restore stack web from snapshot c53e77c8/);
    expect(fr).toContain("warning: no confirmation password is set");
    await press(stdin, KEY.enter);
    await until(lastFrame, /restore finished/);
    expect(f.restores[0]).toMatchObject({ password: undefined, choice: { scope: { kind: "stack", stack: "web" } } });
    expect(f.restores[0].choice.file).toBeUndefined();
  });

  it("Given a snapshot with two volumes, When v is pressed, Then one is picked and restored alone", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "4");
    await until(lastFrame, /› c53e77c8/);
    await press(stdin, "v");
    await until(lastFrame, /Restore which volume of c53e77c8\?/);
    await press(stdin, KEY.down, KEY.enter);
    await until(lastFrame, /Restore volume web_db from snapshot c53e77c8/);
    await press(stdin, KEY.enter);
    await until(lastFrame, /restore finished/);
    expect(f.restores[0].choice.scope).toEqual({ kind: "volume", volume: "web_db" });
  });

  it("Given a restore in progress, When Ctrl-C is pressed, Then it is aborted through its signal and the app exits 130 only once it has finished (stacks restarted)", async () => {
    let finish!: () => void;
    const f = fake({
      restore: (_e, signal) =>
        new Promise(
          (_res, rej) =>
            (finish = () => rej(Object.assign(new Error("restore failed: interrupted"), { aborted: signal.aborted }))),
        ),
    });
    const { lastFrame, stdin, exits } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "4");
    await until(lastFrame, /› c53e77c8/);
    await press(stdin, "R");
    await until(lastFrame, /Restore stack web/);
    await press(stdin, KEY.enter);
    await until(lastFrame, /Restoring…/);
    await press(stdin, "1", "q");
    await until(lastFrame, /a restore is running: Ctrl-C aborts it/);
    await press(stdin, KEY.ctrlC);
    expect(f.restores[0].signal.aborted).toBe(true);
    await until(lastFrame, /Quitting: stopping restic and restarting stacks first/);
    await tick(50);
    expect(exits).toEqual([]);
    finish();
    await tick(100);
    expect(exits).toEqual([130]);
  });
});

describe("TUI sync and verify", () => {
  it("Given the run screen, When s is pressed, Then the sync's transfer progress and its summary are shown", async () => {
    let emit!: EventSink;
    let finish!: (r: SyncJobReport) => void;
    const f = fake({ sync: (_s, e) => ((emit = e), new Promise((res) => (finish = res))) });
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "3");
    await until(lastFrame, /s.*: sync the repository/);
    await press(stdin, "s");
    await until(lastFrame, /Syncing…/);
    emit({ type: "phase", stack: "*", phase: "transfer" });
    emit({
      type: "transfer",
      what: "sync",
      attempt: 1,
      progress: {
        bytes: 512 * 1024,
        totalBytes: 1024 * 1024,
        transfers: 3,
        totalTransfers: 6,
        speed: 1024 * 1024,
        eta: 1,
        errors: 0,
      },
    });
    let fr = await until(lastFrame, /3\/6 files/);
    expect(fr).toMatch(/\[#+-+\] sync 50% 512\.0 KiB\/1\.0 MiB 1\.0 MiB\/s 3\/6 files ETA 1\.0 s/);
    // s and v do nothing while it runs.
    await press(stdin, "v");
    expect(lastFrame()).toContain("Syncing…");
    const sync: SyncReport = {
      runId: 4,
      target: "default",
      mode: "mirror",
      remote: "cloud:bk",
      attempts: 1,
      transfer: { copied: 6, deleted: 0, stats: { bytes: 1024 * 1024, elapsedTime: 2 } as never },
      verified: { ok: true, differences: [] },
      localSnapshots: 2,
      remoteSnapshots: 2,
      purgedDeletedDirs: [],
      exitCode: 0,
    };
    finish({ targets: [sync], kits: [], kitWarnings: [], exitCode: 0 });
    fr = await until(lastFrame, /sync finished in/);
    expect(fr).toContain("run #4: synced to cloud:bk: 6 file(s) copied, 0 removed, 1.0 MiB in 2.0 s");
    expect(fr).toContain("the cloud copy matches the local repository");
  });

  it("Given a busy repository, When v is pressed, Then the verify says so, like a busy backup", async () => {
    const f = fake({
      verify: async () => {
        throw new BusyError(
          "the repository is busy: locked by pid 77 on h1 (`backup-tui backup`)",
          "Wait for it to finish.",
        );
      },
    });
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "3", "v");
    const fr = await until(lastFrame, /Repository busy/);
    expect(fr).toContain("locked by pid 77");
    expect(fr).toContain("verify did not complete");
  });

  it("Given a verify that finds damage, When it ends, Then the summary says FAILED", async () => {
    const f = fake({
      verify: async () => ({
        ok: false,
        level: "metadata",
        detail: "error: pack 1234 damaged",
        runId: 5,
        target: "/repo",
      }),
    });
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "3", "v");
    const fr = await until(lastFrame, /verify finished with problems/);
    expect(fr).toContain("run #5: VERIFICATION FAILED for /repo (metadata):");
    expect(fr).toContain("pack 1234 damaged");
  });

  it("Given task events, When reduced, Then phases, transfers and the log tail are kept", () => {
    let s = taskReducer(idleTask, { type: "start", kind: "sync", title: "t", at: 0 });
    s = taskReducer(s, { type: "event", event: { type: "phase", stack: "*", phase: "check-local" } });
    s = taskReducer(s, {
      type: "event",
      event: {
        type: "transfer",
        what: "sync",
        attempt: 2,
        progress: { bytes: 1, totalBytes: 2, transfers: 0, totalTransfers: 1, speed: 1, errors: 0 },
      },
    });
    expect(s.phase).toBe("sync (attempt 2)");
    expect(s.log).toEqual(["check-local"]);
    s = taskReducer(s, { type: "abort" });
    expect(s.aborting).toBe(true);
    s = taskReducer(s, { type: "finished", ok: true, summary: ["x"], at: 5 });
    expect(s).toMatchObject({ status: "done", ok: true, summary: ["x"], finishedAt: 5 });
  });
});

describe("TUI history log and schedule toggle", () => {
  it("Given a run, When l is pressed on its details, Then its log lines are shown, newest selected, and Backspace returns", async () => {
    const run: RunRow = {
      id: 3,
      kind: "backup",
      trigger: "manual",
      status: "succeeded",
      startedAt: "2026-11-23T10:00:00.000Z",
      finishedAt: "2026-11-23T10:01:00.000Z",
      exitCode: 0,
      pid: 4242,
    };
    const at = Date.parse(run.startedAt);
    const log: LogEntry[] = [
      {
        time: at + 10,
        level: "info",
        msg: "run-start",
        fields: { event: { type: "run-start", runId: 3, kind: "backup", stacks: ["web"] } },
      },
      ...Array.from(
        { length: 40 },
        (_, i): LogEntry => ({
          time: at + 100 + i,
          level: "info",
          msg: "phase",
          fields: { event: { type: "phase", stack: "web", phase: "hot-pass", detail: `step ${i}` } },
        }),
      ),
      { time: at + 500, level: "warn", msg: "container did not stop in time", fields: { stack: "web" } },
    ];
    const f = fake({ runs: [run], log });
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "6");
    await until(lastFrame, /› 3\s+backup/);
    await press(stdin, KEY.enter);
    await until(lastFrame, /Run #3 · backup/);
    expect(lastFrame()).toContain("l its log");
    await press(stdin, "l");
    let fr = await until(lastFrame, /Run #3 · backup · log \(42 line\(s\)/);
    expect(fr).toMatch(/› \d\d:\d\d:\d\d WARN container did not stop in time stack=web/);
    expect(fr).toContain("42/42");
    await press(stdin, "g");
    fr = await until(lastFrame, /› \d\d:\d\d:\d\d run #3: web/);
    expect(fr).not.toContain("WARN");
    await press(stdin, KEY.backspace);
    await until(lastFrame, /Run #3 · backup · succeeded/);
  });

  it("Given a job, When Space is pressed, Then it is paused through the backend, shown as not enabled, and the installed timers are said to need installing again", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /web/);
    await press(stdin, "5");
    await until(lastFrame, /› backup\s+0 3 \* \* \*.*yes/);
    await press(stdin, KEY.space);
    // The message shows at once; the row follows when the schedules are read again.
    await until(lastFrame, /backup paused: \[schedule\] PAUSED written/);
    const fr = await until(lastFrame, /› backup\s+0 3 \* \* \*.*\s-\s+no$/m);
    expect(f.paused).toEqual(["backup"]);
    expect(fr).toContain("backup paused: [schedule] PAUSED written");
    expect(fr).toContain("not enabled: paused ([schedule] PAUSED)");
    expect(fr.replace(/\n/g, " ")).toContain("run `backup-tui schedule install --systemd` again");
    await press(stdin, KEY.space);
    await until(lastFrame, /backup resumed/);
    expect(f.paused).toEqual([]);
  });
});

describe("TUI backend over the real services", () => {
  it("Given a confirmation hash, When restore is asked with a wrong or no password, Then it refuses before anything is touched and the right one is accepted by the check", async () => {
    tc = testContext();
    tc.ctx.config.security.confirmPasswordHash = new Secret(hashConfirmPassword(SECRET));
    const backend = createBackend(tc.ctx);
    const choice: RestoreChoice = {
      snapshot: SNAP,
      scope: { kind: "stack", stack: "web" },
      file: "/srv/web/index.html",
    };
    const signal = new AbortController().signal;
    await expect(backend.restore(choice, "wrong", signal, () => undefined)).rejects.toThrow(
      "wrong confirmation password; nothing was changed",
    );
    await expect(backend.restore(choice, undefined, signal, () => undefined)).rejects.toThrow(
      /a confirmation password is required/,
    );
    expect(tc.restic.calls).toEqual([]);
    expect(tc.ctx.store.runs({})).toEqual([]);
    expect(backend.checkConfirmPassword(SECRET, choice)).toBe(true);
    expect(backend.checkConfirmPassword("", choice)).toBe(false);
  });

  it("Given a log file with lines of several processes and runs, When a run's log is read, Then only its pid's lines within its time are returned, rotated files included", () => {
    tc = testContext();
    const dir = join(tc.dir, "logs");
    mkdirSync(dir);
    const line = (pid: number, time: number, msg: string, extra: object = {}) =>
      `${JSON.stringify({ level: 30, time, pid, ...extra, msg })}\n`;
    const t0 = Date.parse("2026-11-23T10:00:00.000Z");
    appendFileSync(
      join(dir, "backup-tui.log.1"),
      line(10, t0 + 1, "old part") + "not json\n" + line(11, t0 + 2, "other process"),
    );
    appendFileSync(
      join(dir, "backup-tui.log"),
      line(10, t0 + 3000, "new part", { event: { type: "info", message: "hello" } }) +
        line(10, t0 + 3_600_000, "a later run") +
        line(100, t0 + 4, "pid 100"),
    );
    const run = { pid: 10, startedAt: "2026-11-23T10:00:00.000Z", finishedAt: "2026-11-23T10:00:05.000Z" };
    const got = runLog(dir, run);
    expect(got.map((e) => e.msg)).toEqual(["old part", "new part"]);
    expect(logLine(got[1])).toMatch(/^\d\d:\d\d:\d\d hello$/);
    expect(
      logLine({
        time: t0,
        level: "info",
        msg: "transfer",
        fields: {
          event: {
            type: "transfer",
            what: "sync",
            attempt: 1,
            progress: { bytes: 512, totalBytes: 1024, transfers: 1, totalTransfers: 4, speed: 1, errors: 0 },
          },
        },
      }),
    ).toMatch(/^\d\d:\d\d:\d\d sync 50% 512 B\/1\.0 KiB 1 B\/s 1\/4 files$/);
    expect(
      logLine({
        time: t0,
        level: "warn",
        msg: "refused: wrong confirmation password",
        fields: { action: "restore stack web" },
      }),
    ).toMatch(/WARN refused: wrong confirmation password action=restore stack web$/);
    expect(runLog(dir, { ...run, pid: undefined })).toEqual([]);
    // The same process's previous run ended after "old part" was written: that line is its.
    expect(runLog(dir, run, { prevFinished: new Date(t0 + 2).toISOString() }).map((e) => e.msg)).toEqual(["new part"]);
    expect(runLog(dir, run, { nextStarted: new Date(t0 + 2000).toISOString() }).map((e) => e.msg)).toEqual([
      "old part",
    ]);
  });
});
