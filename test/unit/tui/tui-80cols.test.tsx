import { writeFileSync } from "node:fs";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../src/exec/redact";
import { format } from "../../../src/format";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import type { CatalogSnapshot } from "../../../src/state/catalog";
import { App } from "../../../src/tui/app";
import {
  createBackend,
  type DisasterPlan,
  type RestoreChoice,
  type RestorePreview,
  type SelectionRow,
  type TuiBackend,
} from "../../../src/tui/backend";
import { startedBy } from "../../../src/tui/format";
import { container, fakeDocker, testContext, type TestContext } from "../../helpers/fakes";
import { KEY, press, until } from "../../helpers/ink";

// Issue 16 item 15: what a user meets at 80x24, each assertion against a frame 80 columns wide.
let tc: TestContext | undefined;
afterEach(() => {
  cleanup();
  tc?.cleanup();
  tc = undefined;
});

const SECRET = "Confirm-80-cols";
const MANIFEST = "/var/lib/backup-tui/staging/web/manifest.json";
function snap(i: number, over: Partial<CatalogSnapshot> = {}): CatalogSnapshot {
  const id = (0xc0000000 + i).toString(16) + "a".repeat(56);
  return {
    id,
    shortId: id.slice(0, 8),
    time: new Date(Date.UTC(2026, 10, 22, 22, 45 + i)).toISOString(),
    host: "vm-host-01",
    stack: "web",
    kind: "stack",
    tags: ["backup-tui", "stack:web", "kind:stack", "vol:web_data"],
    paths: ["/srv/web", MANIFEST],
    protected: false,
    indexed: true,
    ...over,
  };
}
const PRE = snap(2, {
  kind: "pre-restore",
  protected: true,
  tags: ["backup-tui", "stack:web", "vol:web_data", "kind:pre-restore"],
  paths: ["/var/lib/docker/volumes/web_data/_data"],
});
const LONG_WARNING =
  "stack \"my stack\" has a name the dirlist cannot hold; name it explicitly to back it up, or rename its directory to letters, digits, '.', '_' or '-' and run backup-tui again";

function fake(o: { rows?: SelectionRow[]; warnings?: string[]; preview?: RestorePreview; plan?: DisasterPlan } = {}) {
  const calls: string[] = [];
  const no = async (): Promise<never> => {
    throw new Error("not in this test");
  };
  const rows = o.rows ?? [
    { key: "web", kind: "stack", enabled: true, listed: true, found: true, state: "running" },
    { key: "db", kind: "stack", enabled: true, listed: true, found: true, state: "running" },
    { key: "cache", kind: "stack", enabled: false, listed: true, found: true, state: "running" },
  ];
  const backend: TuiBackend = {
    dashboard: async () => ({ repository: "/srv/restic-repo", host: "h1", snapshotTotal: 2, stacks: [], warnings: [] }),
    selection: async () => ({ rows, file: "/etc/backup-tui/dirlist", warnings: o.warnings ?? [] }),
    setEnabled: async () => undefined,
    addExternal: async () => undefined,
    runBackup: no,
    listSnapshots: () => [PRE, snap(1)],
    refreshSnapshots: async () => ({ added: 0, removed: 0, total: 2 }),
    index: async () => undefined,
    children: () => [],
    schedules: async () => ({ jobs: [], installed: [] }),
    runs: () => [],
    runStacks: () => [],
    runLog: () => [],
    async previewRestore(c) {
      calls.push(`preview ${c.scope.kind === "volume" ? c.scope.volume : c.scope.stack}`);
      return o.preview ?? { paths: [], stops: [], needsPassword: false };
    },
    checkConfirmPassword: () => true,
    restore: no,
    sync: no,
    verify: no,
    setJobEnabled: async () => undefined,
    disaster: o.plan && { plan: async () => o.plan!, checkPassword: () => true, run: no },
  };
  return { backend, calls };
}
const app = (backend: TuiBackend) =>
  render(<App backend={backend} size={{ columns: 80, rows: 24 }} onExit={() => undefined} />);
const fits = (f: string) => expect(f.split("\n").filter((l) => l.length > 80)).toEqual([]);
const flat = (f: string) => f.replace(/\s+/g, " ");

describe("the TUI at 80x24 (issue 16 item 15)", () => {
  it("Given a protected pre-restore snapshot, When Snapshots shows, Then KIND is whole and a space apart from HOST", async () => {
    const { lastFrame, stdin } = app(fake().backend);
    await press(stdin, "4");
    const f = await until(lastFrame, /pre-restore/);
    fits(f);
    expect(f).toMatch(/ pre-restore P +vm-host-01$/m);
    expect(f).toMatch(/ stack +vm-host-01$/m);
    expect(f).not.toMatch(/pre-resto…/);
  });

  it("Given a pre-restore snapshot, When v is pressed, Then no volume is offered (the restore could not find it) and the screen says why", async () => {
    const f0 = fake();
    const { lastFrame, stdin } = app(f0.backend);
    await press(stdin, "4");
    await until(lastFrame, /› c0000002/);
    await press(stdin, "v");
    const f = await until(lastFrame, /c0000002 has no volume to restore on its own/);
    expect(flat(f)).toMatch(
      /a safety snapshot: it keeps the live paths, with no map of their volumes\); R restores all of it/,
    );
    expect(f).not.toMatch(/Restore volume|Restore which volume/);
    expect(f0.calls).toEqual([]);
    // A stack snapshot (with its manifest) still offers its volume.
    await press(stdin, KEY.down, "v");
    await until(lastFrame, /Restore volume web_data from snapshot c0000001/);
    expect(f0.calls).toEqual(["preview web_data"]);
  });

  it("Given a long live path, When the restore confirmation shows, Then each path's change summary is there in full (wrapped, not cut)", async () => {
    const long = "/var/lib/docker/volumes/a-rather-long-project-name_postgres-data/_data";
    const preview: RestorePreview = {
      paths: [
        { path: long, added: 12, changed: 345, removed: 6, bytes: 3 * 1024 * 1024 },
        { path: "/srv/web", added: 1, changed: 2, removed: 0, bytes: 2048 },
      ],
      stops: ["web-app-1"],
      needsPassword: false,
    };
    const { lastFrame, stdin } = app(fake({ preview }).backend);
    await press(stdin, "4");
    await until(lastFrame, /› c0000002/);
    await press(stdin, KEY.down, "R");
    const f = await until(lastFrame, /OVERWRITES/);
    fits(f);
    expect(flat(f)).toContain(`${long} (+12 new, ~345 changed, -6 removed; 3.0 MiB)`);
    expect(flat(f)).toContain("/srv/web (+1 new, ~2 changed, -0 removed; 2.0 KiB)");
  });

  it("Given a long warning, When the Stacks screen shows, Then it wraps to its end (docs/TUI.md: warnings wrap)", async () => {
    const { lastFrame, stdin } = app(fake({ warnings: [LONG_WARNING] }).backend);
    await press(stdin, "2");
    const f = await until(lastFrame, /\[x\] web/);
    fits(f);
    expect(flat(f)).toContain(`! ${LONG_WARNING}`);
  });

  it("Given two stacks enabled, When the Backup screen asks, Then it names them; with none enabled it says Enter backs up nothing", async () => {
    let r = app(fake().backend);
    await press(r.stdin, "3");
    let f = await until(r.lastFrame, /Enabled \(2\): web, db/);
    expect(f).toMatch(/Back up the stacks enabled in the dirlist\?/);
    expect(f).not.toMatch(/cache/);
    cleanup();
    r = app(
      fake({ rows: [{ key: "web", kind: "stack", enabled: false, listed: true, found: true, state: "running" }] })
        .backend,
    );
    await press(r.stdin, "3");
    f = await until(r.lastFrame, /No stack is enabled in the dirlist: Enter would back up nothing/);
    fits(f);
  });

  it("Given disaster step 2 (typing yes), When the footer shows, Then it offers only the input's keys, none that would type into it", async () => {
    const plan: DisasterPlan = {
      remote: "cloud:hosts/old",
      repository: "/srv/restic-repo",
      host: "oldhost",
      needsPassword: false,
    };
    const { lastFrame, stdin } = app(fake({ plan }).backend);
    await press(stdin, "D");
    let f = await until(lastFrame, /Step 1 of 4/);
    expect(f).toMatch(/o overwrite on\/off/);
    await press(stdin, KEY.enter);
    f = await until(lastFrame, /Step 2 of 4/);
    const footer = f.split("\n").slice(-3).join("\n");
    expect(footer).toMatch(/Enter done {2}Esc cancel {2}Bksp delete {2}\^C quit {2}other keys type/);
    expect(footer).not.toMatch(/overwrite|old host name|1-6 screens|\? help|q\/Esc/);
    await press(stdin, "o", "h", "q");
    await until(lastFrame, /Type yes to recover host oldhost: ohq/);
  });
});

describe("the run history's words and the guard's log line (issue 16 item 15)", () => {
  it("Given a manual and a scheduled run, When History shows, Then BY says what the CLI says: manual, schedule JOB", async () => {
    tc = testContext();
    const { store, owner } = tc.ctx;
    store.finishRun(store.startRun("backup", "manual", owner), "succeeded", 0);
    store.setScheduledJob("backup:web");
    store.finishRun(store.startRun("backup", "scheduled", owner), "succeeded", 0);
    const { lastFrame, stdin } = render(
      <App backend={createBackend(tc.ctx)} size={{ columns: 80, rows: 24 }} onExit={() => undefined} />,
    );
    await press(stdin, "6");
    const f = await until(lastFrame, /all runs · 2 shown/);
    fits(f);
    expect(f).toMatch(/^[ ›] 1\s+backup\s+\S+ \S+\s+manual\s+succeeded/m);
    expect(f).toMatch(/^[ ›] 2\s+backup\s+\S+ \S+\s+schedule backup:web\s+succeeded/m);
    expect(f).not.toMatch(/by hand/);
    for (const r of store.runs({})) expect(startedBy(r)).toBe(format.startedBy(r));
  });

  it("Given a password confirmed on the screen, When the restore runs with it, Then the log says 'confirmed destructive action' once", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
    tc.ctx.config.security.confirmPasswordHash = new Secret(hashConfirmPassword(SECRET));
    const logged: string[] = [];
    const log = tc.ctx.log;
    const capture = (level: string) => (o: unknown, msg?: string) =>
      void logged.push(`${level} ${typeof o === "string" ? o : msg}`);
    (tc.ctx as { log: typeof log }).log = {
      ...log,
      info: capture("info"),
      warn: capture("warn"),
      child: () => tc!.ctx.log,
    } as unknown as typeof log;
    writeFileSync(tc.ctx.config.dirlistFile, "+web\n");
    const backend = createBackend(tc.ctx);
    const choice: RestoreChoice = { snapshot: snap(1), scope: { kind: "stack", stack: "web" } };
    expect(backend.checkConfirmPassword(SECRET, choice)).toBe(true);
    // The run itself may fail further on (fakes): the guard's lines are written before.
    await backend.restore(choice, SECRET, new AbortController().signal, () => undefined).catch(() => undefined);
    expect(logged.filter((l) => l.includes("confirmed destructive action"))).toEqual([
      "info confirmed destructive action",
    ]);
    expect(backend.disaster!.checkPassword(SECRET, { overwrite: false })).toBe(true);
    await backend
      .disaster!.run({ overwrite: false }, SECRET, AbortSignal.abort(), () => undefined)
      .catch(() => undefined);
    expect(logged.filter((l) => l.includes("confirmed destructive action"))).toHaveLength(2);
  });
});
