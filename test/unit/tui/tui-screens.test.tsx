import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup } from "ink-testing-library";
import type { Dashboard, SelectionRow, TuiBackend } from "../../../src/tui/backend";
import { App } from "../../../src/tui/app";
import type { BackupReport } from "../../../src/services/backup/backup";
import type { EventSink } from "../../../src/services/run/events";
import type { CatalogFile, CatalogSnapshot } from "../../../src/state/catalog";
import { BusyError, ConfigError } from "../../../src/errors";
import { Boot } from "../../../src/tui/boot";
import { KEY, press, tick, until } from "../../helpers/ink";

function snapshot(i: number, stack: string, over: Partial<CatalogSnapshot> = {}): CatalogSnapshot {
  const id = i.toString(16).padStart(8, "0") + "f".repeat(56);
  return {
    id,
    shortId: id.slice(0, 8),
    time: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    host: "h1",
    stack,
    kind: "stack",
    tags: ["backup-tui", `stack:${stack}`, "kind:stack"],
    paths: ["/srv"],
    protected: false,
    indexed: true,
    ...over,
  };
}

interface FakeOptions {
  stacks?: Dashboard["stacks"];
  warnings?: string[];
  copies?: Dashboard["copies"];
  rows?: SelectionRow[];
  snapshots?: CatalogSnapshot[];
  files?: Record<string, CatalogFile[]>;
  runBackup?: TuiBackend["runBackup"];
}

function fakeBackend(o: FakeOptions = {}) {
  const calls: string[] = [];
  const rows = o.rows ?? [
    { key: "web", kind: "stack", enabled: true, listed: true, found: true, state: "running" },
    { key: "db", kind: "stack", enabled: false, listed: true, found: true, state: "stopped" },
  ];
  const backend: TuiBackend = {
    async dashboard() {
      return {
        repository: "/repo",
        host: "h1",
        snapshotTotal: o.snapshots?.length ?? 0,
        catalogRefreshedAt: new Date().toISOString(),
        stacks: o.stacks ?? [
          {
            name: "web",
            state: "running",
            enabled: true,
            external: false,
            snapshots: 3,
            lastBackup: { at: new Date(Date.now() - 3600_000).toISOString(), status: "succeeded" },
          },
          { name: "db", state: "stopped", enabled: false, external: false, snapshots: 0 },
        ],
        warnings: o.warnings ?? [],
        copies: o.copies,
      };
    },
    async selection() {
      return { rows: rows.map((r) => ({ ...r })), file: "/etc/dirlist", warnings: [] };
    },
    async setEnabled(key, enabled) {
      calls.push(`${enabled ? "enable" : "disable"} ${key}`);
      const r = rows.find((x) => x.key === key);
      if (r) r.enabled = enabled;
    },
    async addExternal(path) {
      calls.push(`add ${path}`);
      if (!path.startsWith("/")) throw new Error("an external path must be absolute (start with /)");
      rows.push({ key: `EXT:${path}`, kind: "external", enabled: true, listed: true, found: false });
    },
    runBackup:
      o.runBackup ??
      (async () => {
        throw new Error("not in this test");
      }),
    listSnapshots(f) {
      let list = (o.snapshots ?? []).filter((s) => !f.stack || s.stack === f.stack);
      list = [...list].sort((a, b) => b.time.localeCompare(a.time));
      if (f.latestPerStack) {
        const n = new Map<string, number>();
        list = list.filter((s) => {
          const k = s.stack ?? "";
          n.set(k, (n.get(k) ?? 0) + 1);
          return n.get(k)! <= f.latestPerStack!;
        });
      }
      return list;
    },
    async refreshSnapshots() {
      calls.push("refresh");
      return { added: 0, removed: 0, total: o.snapshots?.length ?? 0 };
    },
    async index(snap) {
      calls.push(`index ${snap.shortId}`);
    },
    children(_id, dir) {
      return o.files?.[dir] ?? [];
    },
    async schedules() {
      return { jobs: [], installed: [] };
    },
    runs: () => [],
    runStacks: () => [],
    runLog: () => [],
    previewRestore: async () => ({ paths: [], stops: [], needsPassword: false }),
    checkConfirmPassword: () => false,
    restore: async () => {
      throw new Error("not in this test");
    },
    sync: async () => {
      throw new Error("not in this test");
    },
    verify: async () => {
      throw new Error("not in this test");
    },
    setJobEnabled: async () => undefined,
  };
  return { backend, calls };
}

function renderApp(backend: TuiBackend, size = { columns: 80, rows: 24 }) {
  const exits: number[] = [];
  const r = render(<App backend={backend} size={size} onExit={(c) => exits.push(c)} />);
  return { ...r, exits };
}

afterEach(() => cleanup());

describe("TUI app shell", () => {
  it("Given the dashboard, When it loads, Then it shows the stacks, their state, and a footer with every key", async () => {
    const { lastFrame } = renderApp(
      fakeBackend({ warnings: ["pending recovery: web (web-app-1) was left stopped by dead pid 42"] }).backend,
    );
    const f = await until(lastFrame, /web/);
    expect(f).toMatch(/web\s+running\s+yes\s+1h ago succeeded\s+-\s+3/);
    expect(f).toMatch(/db\s+stopped\s+no\s+never\s+-\s+0/);
    expect(f).toContain("pending recovery: web");
    for (const k of ["Enter", "back up enabled", "snapshots", "?", "help", "q", "quit", "1-7"]) expect(f).toContain(k);
    for (const line of f.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    expect(f.split("\n").length).toBeLessThanOrEqual(24);
  });

  it("Given sync targets, When the dashboard loads, Then one line says each copy's last good sync, an alarm, and which this host can erase; still 80x24", async () => {
    const hour = new Date(Date.now() - 2 * 3600_000).toISOString();
    const { lastFrame } = renderApp(
      fakeBackend({
        copies: [
          { name: "default", lastGoodAt: hour, lastStatus: "succeeded", alarm: false, erasable: true },
          { name: "vault", lastGoodAt: hour, lastStatus: "failed", alarm: true, erasable: false },
          { name: "nas", alarm: false, erasable: false },
        ],
      }).backend,
    );
    const f = await until(lastFrame, /copies:/);
    expect(f).toContain("copies: default 2h ago (erasable) · vault TAMPER ALARM · nas never synced");
    expect(f).toMatch(/web\s+running/);
    for (const line of f.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    expect(f.split("\n").length).toBeLessThanOrEqual(24);
  });

  it("Given any screen, When ? is pressed, Then the help overlay lists its keys and any key closes it", async () => {
    const { lastFrame, stdin } = renderApp(fakeBackend().backend);
    await until(lastFrame, /web/);
    await press(stdin, "?");
    expect(lastFrame()).toContain("Help: Dashboard");
    expect(lastFrame()).toContain("back up selected");
    await press(stdin, "x");
    expect(lastFrame()).not.toContain("Help:");
  });

  it("Given a screen, When q is pressed, Then it goes back to the dashboard; q there quits with 0", async () => {
    const { lastFrame, stdin, exits } = renderApp(fakeBackend().backend);
    await until(lastFrame, /web/);
    await press(stdin, "2");
    await until(lastFrame, /\[2 Stacks\]/);
    await press(stdin, "q");
    await until(lastFrame, /\[1 Dashboard\]/);
    expect(exits).toEqual([]);
    await press(stdin, "4", KEY.esc);
    await until(lastFrame, /\[1 Dashboard\]/);
    await press(stdin, "q");
    expect(exits).toEqual([0]);
  });
});

describe("TUI stack selection", () => {
  it("Given the Stacks screen, When Space is pressed on a stack, Then it is toggled through the backend and shown checked", async () => {
    const { backend, calls } = fakeBackend();
    const { lastFrame, stdin } = renderApp(backend);
    await until(lastFrame, /web/);
    await press(stdin, "2");
    await until(lastFrame, /\[x\] web/);
    expect(lastFrame()).toMatch(/\[ \] db/);
    await press(stdin, KEY.down, KEY.space);
    await until(lastFrame, /\[x\] db/);
    expect(calls).toEqual(["enable db"]);
    expect(lastFrame()).toContain("enabled db (saved)");
    await press(stdin, KEY.up, KEY.space);
    await until(lastFrame, /\[ \] web/);
    expect(calls).toEqual(["enable db", "disable web"]);
  });

  it("Given the add input, When a path is typed (q included), Then it is added; a bad one shows the error inline", async () => {
    const { backend, calls } = fakeBackend();
    const { lastFrame, stdin } = renderApp(backend);
    await until(lastFrame, /web/);
    await press(stdin, "2", "a");
    await until(lastFrame, /add external directory \(absolute path\):/);
    await press(stdin, ..."/srv/q1", KEY.enter);
    await until(lastFrame, /\[x\] EXT:\/srv\/q1/);
    expect(calls).toEqual(["add /srv/q1"]);
    expect(lastFrame()).toContain("[2 Stacks]"); // q typed into the input, not "back"
    await press(stdin, "a", ..."rel", KEY.enter);
    await until(lastFrame, /error: an external path must be absolute/);
  });
});

describe("TUI key bursts and start-up", () => {
  it("Given several keys in one read of stdin, When they are handled, Then each sees where the previous one left the cursor", async () => {
    const { backend, calls } = fakeBackend({
      rows: ["a", "b", "c"].map((key) => ({
        key,
        kind: "stack" as const,
        enabled: false,
        listed: true,
        found: true,
        state: "running" as const,
      })),
    });
    const { lastFrame, stdin } = renderApp(backend);
    await until(lastFrame, /web/);
    await press(stdin, "2");
    await until(lastFrame, /\[ \] c/);
    await press(stdin, `${KEY.down}${KEY.down} `);
    await until(lastFrame, /\[x\] c/);
    expect(calls).toEqual(["enable c"]);
  });

  it("Given the services are still opening, When the first frame is drawn, Then the shell shows at once; a config error ends the app with that error", async () => {
    let open!: (b: TuiBackend) => void;
    const load = new Promise<TuiBackend>((r) => (open = r));
    const { lastFrame } = render(
      <Boot load={load} onExit={() => undefined} onError={() => undefined}>
        {(b) => <App backend={b} size={{ columns: 80, rows: 24 }} onExit={() => undefined} />}
      </Boot>,
    );
    expect(lastFrame()).toMatch(/\[1 Dashboard\][\s\S]*starting…/);
    open(fakeBackend().backend);
    await until(lastFrame, /web\s+running/);

    const errors: unknown[] = [];
    const bad = render(
      <Boot load={Promise.reject(new ConfigError("bad key"))} onExit={() => undefined} onError={(e) => errors.push(e)}>
        {() => null}
      </Boot>,
    );
    await tick(50);
    expect(errors).toHaveLength(1);
    bad.unmount();
  });
});

describe("TUI snapshots browser", () => {
  const many = Array.from({ length: 10_000 }, (_, i) => snapshot(i, `s${i % 4}`));

  it("Given 10,000 snapshots, When all are shown and PageDown is pressed, Then only the visible window is rendered and it moves", async () => {
    const { lastFrame, stdin } = renderApp(fakeBackend({ snapshots: many }).backend);
    await until(lastFrame, /web/);
    await press(stdin, "4");
    let f = await until(lastFrame, /latest 5 per stack · 20 shown/);
    await press(stdin, "a");
    f = await until(lastFrame, /every snapshot · 10000 shown/);
    expect(f).toContain("1/10000");
    const newest = many.at(-1)!.shortId;
    expect(f).toContain(`› ${newest}`);
    const started = Date.now();
    await press(stdin, KEY.pageDown);
    f = lastFrame()!;
    const rowsShown = f.split("\n").filter((l) => /^[ ›] [0-9a-f]{8} /.test(l)).length;
    expect(rowsShown).toBeGreaterThan(5);
    expect(rowsShown).toBeLessThan(24);
    const page = rowsShown - 1;
    expect(f).toContain(`${page + 1}/10000`);
    expect(f).toContain(`› ${many.at(-1 - page)!.shortId}`);
    expect(f).not.toContain(newest);
    await press(stdin, "G");
    expect(lastFrame()).toContain(`› ${many[0].shortId}`);
    expect(lastFrame()).toContain("10000/10000");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("Given a stack filter, When s cycles or a name is typed, Then only that stack's snapshots are listed", async () => {
    const { lastFrame, stdin } = renderApp(fakeBackend({ snapshots: many.slice(0, 40) }).backend);
    await until(lastFrame, /web/);
    await press(stdin, "4", "s");
    let f = await until(lastFrame, /stack s0 · latest 5 per stack · 5 shown/);
    expect(f).not.toMatch(/ s1 /);
    await press(stdin, "s", "s", "s", "s");
    await until(lastFrame, /all stacks · latest 5/);
    await press(stdin, "/", ..."s3");
    f = await until(lastFrame, /name contains "s3"/);
    expect(f).toContain("5 shown");
    expect(f).toContain("[4 Snapshots]"); // typing "s3" did not switch screens
    await press(stdin, KEY.enter, "r");
    await until(lastFrame, /refreshed: 40 snapshot/);
  });

  it("Given a snapshot, When Enter opens it, Then its tree is browsed with Enter and Backspace, with the restore keys in the footer", async () => {
    const snap = snapshot(1, "web");
    const file = (path: string, type = "file"): CatalogFile => ({
      snapshotId: snap.id,
      path,
      name: path.split("/").pop()!,
      type,
      size: 1234,
    });
    const files = {
      "/": [file("/srv", "dir")],
      "/srv": [file("/srv/web", "dir")],
      "/srv/web": [file("/srv/web/conf", "dir"), file("/srv/web/compose.yaml")],
      "/srv/web/conf": [file("/srv/web/conf/nginx.conf")],
    };
    const { backend, calls } = fakeBackend({ snapshots: [snap], files });
    const { lastFrame, stdin } = renderApp(backend);
    await until(lastFrame, /web/);
    await press(stdin, "4");
    await until(lastFrame, /R restore stack/);
    await press(stdin, KEY.enter);
    let f = await until(lastFrame, /› conf\//);
    expect(f).toContain("· /srv/web\n");
    expect(f).toMatch(/R restore in place\s+t restore to\s+dir/);
    expect(calls).toContain("index 00000001");
    await press(stdin, KEY.down);
    await until(lastFrame, /› compose\.yaml/);
    await press(stdin, KEY.up, KEY.enter);
    f = await until(lastFrame, /nginx\.conf/);
    expect(f).toContain("· /srv/web/conf");
    await press(stdin, KEY.backspace);
    await until(lastFrame, /compose\.yaml/);
    await press(stdin, "q");
    await until(lastFrame, /every snapshot|latest 5 per stack/);
    expect(lastFrame()).toContain("[4 Snapshots]");
  });

  it("Given a snapshot, When d is pressed, Then what its backup changed since the one before is shown (the CLI's lines), and q closes it", async () => {
    const snap = snapshot(2, "web");
    const { backend } = fakeBackend({ snapshots: [snap] });
    const asked: string[] = [];
    backend.diff = async (id) => {
      asked.push(id);
      const ref = { id: "f".repeat(64), shortId: "ffffffff", time: "2026-12-01T00:00:00Z", stack: "web", host: "h1" };
      return {
        from: ref,
        to: { ...ref, id: snap.id, shortId: snap.shortId },
        sections: [
          {
            root: "/var/lib/docker/volumes/web_data/_data",
            volume: "web_data",
            diff: {
              added: [{ path: "/var/lib/docker/volumes/web_data/_data/new.txt", type: "file", size: 10 }],
              removed: [],
              changed: [],
              bytes: 10,
            },
          },
        ],
        totals: { added: 1, removed: 0, changed: 0, bytes: 10 },
      };
    };
    const { lastFrame, stdin } = renderApp(backend);
    await until(lastFrame, /web/);
    await press(stdin, "4");
    await until(lastFrame, /R restore stack/);
    await press(stdin, "d");
    const f = await until(lastFrame, /new\.txt/);
    expect(asked).toEqual([snap.id]);
    expect(f).toContain("what changed since the snapshot before it");
    expect(f).toContain("(volume web_data): 1 added");
    expect(f).toMatch(/\+ \/var\/lib\/docker\/volumes\/web_data\/_data\/new\.txt\s+10 B/);
    await press(stdin, "q");
    await until(lastFrame, /every snapshot|latest 5 per stack/);
    expect(lastFrame()).toContain("[4 Snapshots]");
  });
});

describe("TUI backup run", () => {
  const progress = (percent: number) => ({
    percent,
    bytesDone: percent * 1e6,
    totalBytes: 1e6,
    filesDone: Math.round(percent * 10),
    totalFiles: 10,
    secondsRemaining: 3,
    currentFiles: [],
  });

  it("Given Enter on a stack, When the run emits events, Then phase, progress and the summary are shown", async () => {
    let emit!: EventSink;
    let finish!: (r: BackupReport) => void;
    const seen: Array<string[] | undefined> = [];
    const runBackup: TuiBackend["runBackup"] = (names, _signal, e) => {
      seen.push(names);
      emit = e;
      return new Promise((res) => (finish = res));
    };
    const { lastFrame, stdin } = renderApp(fakeBackend({ runBackup }).backend);
    await until(lastFrame, /web/);
    await press(stdin, KEY.enter);
    await until(lastFrame, /Back up web\?/);
    await press(stdin, KEY.enter);
    expect(seen).toEqual([["web"]]);
    emit({ type: "run-start", runId: 7, kind: "backup", stacks: ["web"] });
    emit({ type: "stack-start", stack: "web", strategy: "stop", twoPass: true });
    emit({ type: "phase", stack: "web", phase: "hot-pass" });
    emit({ type: "progress", stack: "web", pass: "hot", progress: progress(0.5) });
    let f = await until(lastFrame, /50%/);
    expect(f).toMatch(/web\s+hot pass\s+\[#+-+\]\s+50%/);
    expect(f).toContain("ETA 3s");
    expect(f.split("\n")[0]).toMatch(/\[3 Backup\] 4 Snaps 5 Sched 6 Hist 7 Fleet ● running$/);
    emit({ type: "phase", stack: "web", phase: "final-pass" });
    await until(lastFrame, /final pass/);
    emit({
      type: "stack-done",
      outcome: {
        stack: "web",
        status: "succeeded",
        durationMs: 4000,
        downtimeMs: 1200,
        snapshotId: "abcdef0123456789",
        bytesAdded: 2048,
      },
    });
    finish({ runId: 7, outcomes: [], status: "succeeded", exitCode: 0, warnings: [] });
    f = await until(lastFrame, /Run #7 succeeded/);
    expect(f).toMatch(/web\s+succeeded 1\.2s\s+2\.0 KiB\s+abcdef01/);
    expect(f).toMatch(/STACK\s+RESULT\s+DOWNTIME\s+ADDED\s+SNAPSHOT/);
    expect(f).toContain("web: succeeded snapshot abcdef01");
  });

  it("Given a busy repository, When the run starts, Then a clear message is shown, not a crash", async () => {
    const runBackup: TuiBackend["runBackup"] = async () => {
      throw new BusyError(
        "the repository is busy: locked by pid 99 on h1 (`backup-tui backup`, since x)",
        "Wait for it to finish, or pass --wait 10m to queue behind it.",
      );
    };
    const { lastFrame, stdin } = renderApp(fakeBackend({ runBackup }).backend);
    await until(lastFrame, /web/);
    await press(stdin, "b");
    await until(lastFrame, /Back up the stacks enabled in the dirlist\?/);
    await press(stdin, KEY.enter);
    const f = await until(lastFrame, /Repository busy/);
    expect(f).toContain("locked by pid 99");
  });

  it("Given a running backup, When Ctrl-C is pressed, Then the run is aborted through its signal and the app exits only after it finished", async () => {
    let signal!: AbortSignal;
    let finish!: (r: BackupReport) => void;
    const runBackup: TuiBackend["runBackup"] = (_n, s) => {
      signal = s;
      return new Promise((res) => (finish = res));
    };
    const { lastFrame, stdin, exits } = renderApp(fakeBackend({ runBackup }).backend);
    await until(lastFrame, /web/);
    await press(stdin, "b", KEY.enter);
    await until(lastFrame, /Backing up/);
    await press(stdin, "1", "q");
    await until(lastFrame, /a backup is running: Ctrl-C aborts it/);
    await press(stdin, KEY.ctrlC);
    expect(signal.aborted).toBe(true);
    await until(lastFrame, /Quitting: stopping restic and restarting stacks first/);
    expect(exits).toEqual([]);
    await press(stdin, KEY.ctrlC);
    await until(lastFrame, /please wait/);
    finish({ runId: 1, outcomes: [], status: "interrupted", exitCode: 1, warnings: [] });
    // The exit follows the run's end on the next turns of the loop (a loaded machine takes longer than 50 ms).
    for (let i = 0; i < 100 && !exits.length; i++) await tick(20);
    expect(exits).toEqual([130]);
  });
});
