import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { BusyError } from "../../../src/errors";
import type { ServiceEvent } from "../../../src/services/run/events";
import { acquireRepoLock, lockPaths } from "../../../src/state/lock";
import { App } from "../../../src/tui/app";
import { createBackend } from "../../../src/tui/backend";
import { restoreCommand } from "../../../src/tui/format";
import { moveCursor, scrollTop } from "../../../src/tui/list-window";
import { backupRunReducer, idleRun } from "../../../src/tui/use-backup-run";
import { container, fakeDocker, snapshot, testContext, type TestContext } from "../../helpers/fakes";

let tc: TestContext | undefined;
afterEach(() => {
  cleanup();
  tc?.cleanup();
  tc = undefined;
});

const noKey = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

describe("TUI pure helpers", () => {
  it("Given a list window, When the cursor moves past it, Then the window scrolls just enough", () => {
    expect(moveCursor(0, "", { ...noKey, pageDown: true }, 100, 9)).toBe(9);
    expect(moveCursor(95, "", { ...noKey, pageDown: true }, 100, 9)).toBe(99);
    expect(moveCursor(3, "x", noKey, 100, 9)).toBeUndefined();
    expect(scrollTop(0, 9, 10, 100)).toBe(0);
    expect(scrollTop(0, 10, 10, 100)).toBe(1);
    expect(scrollTop(50, 20, 10, 100)).toBe(20);
    expect(scrollTop(95, 99, 10, 100)).toBe(90);
  });

  it("Given service events, When reduced, Then rows carry phase, progress and outcome and the log keeps the tail", () => {
    const events: ServiceEvent[] = [
      { type: "run-start", runId: 3, kind: "backup", stacks: ["a", "b"] },
      { type: "phase", stack: "a", phase: "hot-pass" },
      {
        type: "progress",
        stack: "a",
        pass: "hot",
        progress: { percent: 0.25, bytesDone: 1, totalBytes: 4, filesDone: 1, totalFiles: 4, currentFiles: [] },
      },
      { type: "phase", stack: "a", phase: "stopping" },
      {
        type: "stack-done",
        outcome: { stack: "a", status: "succeeded", durationMs: 10, downtimeMs: 5, snapshotId: "deadbeef00" },
      },
      ...Array.from({ length: 60 }, (_, i): ServiceEvent => ({ type: "info", message: `m${i}` })),
    ];
    let s = backupRunReducer(idleRun, { type: "start", targets: ["a", "b"] });
    for (const event of events) s = backupRunReducer(s, { type: "event", event });
    expect(s.runId).toBe(3);
    expect(s.rows.map((r) => r.stack)).toEqual(["a", "b"]);
    expect(s.rows[0].progress?.percent).toBe(0.25);
    expect(s.rows[0].outcome?.snapshotId).toBe("deadbeef00");
    expect(s.log.length).toBe(50);
    expect(s.log.at(-1)).toBe("m59");
    s = backupRunReducer(s, { type: "failed", error: new BusyError("busy", "wait") });
    expect(s.error).toEqual({ message: "busy", hint: "wait", busy: true });
  });

  it("Given a snapshot, When the restore command is built, Then it names the stack or volume and quotes paths", () => {
    const snap = { shortId: "abcd1234", stack: "web", kind: "stack", tags: ["stack:web"] };
    expect(restoreCommand(snap)).toBe("backup-tui restore --stack web --snapshot abcd1234");
    expect(restoreCommand(snap, "/srv/my file")).toBe(
      "backup-tui restore --stack web --snapshot abcd1234 --file '/srv/my file' --target DIR",
    );
    expect(restoreCommand({ shortId: "v1", stack: undefined, kind: "volume", tags: ["vol:data"] })).toBe(
      "backup-tui restore --volume data --snapshot v1",
    );
  });
});

describe("TUI backend over the real services", () => {
  it("Given stacks, a dead run's journal entry, a stale lock and a failed run, When the dashboard loads, Then all are reported", async () => {
    tc = testContext({
      docker: fakeDocker({
        containers: [
          container({ name: "web-app-1", project: "web" }),
          container({ name: "db-1", project: "db", status: "exited" }),
        ],
      }),
    });
    const { ctx } = tc;
    writeFileSync(ctx.config.dirlistFile, "+web\n-db\n");
    const dead = {
      pid: 999_999,
      host: ctx.owner.host,
      startedAt: "2026-01-01T00:00:00Z",
      command: "backup-tui backup",
    };
    ctx.journal.write({
      id: "r1-web",
      runId: 1,
      stack: "web",
      strategy: "stop",
      containers: [{ id: "x", name: "web-app-1", action: "stopped" }],
      owner: dead,
      writtenAt: dead.startedAt,
    });
    mkdirSync(join(ctx.config.stateDir, "locks"), { recursive: true });
    writeFileSync(lockPaths(ctx.config.stateDir, ctx.config.restic.repository).info, JSON.stringify(dead));
    const run = ctx.store.startRun("backup", "manual", ctx.owner);
    ctx.store.finishRun(run, "failed", 1, "web: restic exploded");
    ctx.store.catalog.sync([
      snapshot({ id: "a".repeat(64), time: "2026-01-01T00:00:00Z", tags: ["backup-tui", "stack:web", "kind:stack"] }),
    ]);

    const d = await createBackend(ctx).dashboard();
    expect(d.stacks.map((s) => [s.name, s.state, s.enabled, s.snapshots])).toEqual([
      ["db", "stopped", false, 0],
      ["web", "running", true, 1],
    ]);
    expect(d.snapshotTotal).toBe(1);
    expect(d.warnings.join("\n")).toMatch(/pending recovery: web \(web-app-1\) was left stopped by dead pid 999999/);
    expect(d.warnings.join("\n")).toMatch(/stale lock: held by pid 999999/);
    expect(d.warnings.join("\n")).toMatch(/last run #\d+ \(backup\) failed: web: restic exploded/);
  });

  it("Given the selection, When a stack is enabled and an external path added, Then the dirlist file changes at once", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
    const backend = createBackend(tc.ctx);
    expect((await backend.selection()).rows).toEqual([
      { key: "web", kind: "stack", enabled: false, listed: false, found: true, state: "running" },
    ]);
    await backend.setEnabled("web", true);
    await backend.addExternal("/srv/extra");
    expect(readFileSync(tc.ctx.config.dirlistFile, "utf8")).toBe("+web\nEXT:/srv/extra\n");
    await expect(backend.addExternal("relative")).rejects.toThrow(/absolute/);
    const rows = (await backend.selection()).rows;
    expect(rows.map((r) => [r.key, r.enabled])).toEqual([
      ["web", true],
      ["EXT:/srv/extra", true],
    ]);
  });

  it("Given the repository lock is held, When a backup is started, Then it fails with BusyError before touching anything", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
    const { ctx } = tc;
    const lock = await acquireRepoLock({
      stateDir: ctx.config.stateDir,
      repository: ctx.config.restic.repository,
      owner: { ...ctx.owner, command: "backup-tui sync" },
    });
    try {
      await expect(
        createBackend(ctx).runBackup(["web"], new AbortController().signal, () => undefined),
      ).rejects.toBeInstanceOf(BusyError);
      expect(tc.docker.calls).toEqual([]);
    } finally {
      await lock.release();
    }
  });

  it("Given an enabled stack, When a backup runs through the backend, Then it goes through preflight and runBackup and emits events", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
    writeFileSync(tc.ctx.config.dirlistFile, "+web\n");
    const events: string[] = [];
    const report = await createBackend(tc.ctx).runBackup(undefined, new AbortController().signal, (e) =>
      events.push(e.type),
    );
    expect(report.status).toBe("succeeded");
    expect(events).toContain("run-start");
    expect(events).toContain("stack-done");
    expect(tc.docker.calls).toEqual(["stop web-1", "start web-1"]);
  });

  it("Given a synthetic catalog of 10,000 snapshots, When the browser shows all and pages down, Then each key is handled quickly", async () => {
    tc = testContext();
    const stacks = ["alpha", "beta", "gamma", "delta"];
    tc.ctx.store.catalog.sync(
      Array.from({ length: 10_000 }, (_, i) =>
        snapshot({
          id: i.toString(16).padStart(8, "0") + "e".repeat(56),
          time: new Date(Date.UTC(2025, 0, 1) + i * 3600_000).toISOString(),
          tags: ["backup-tui", `stack:${stacks[i % 4]}`, "kind:stack"],
        }),
      ),
    );
    const { lastFrame, stdin } = render(
      <App backend={createBackend(tc.ctx)} size={{ columns: 100, rows: 30 }} onExit={() => undefined} />,
    );
    const wait = async (re: RegExp) => {
      const end = Date.now() + 5000;
      while (!re.test(lastFrame() ?? "")) {
        if (Date.now() > end) throw new Error(`never matched ${re}:\n${lastFrame()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    stdin.write("4");
    await wait(/latest 5 per stack · 20 shown/);
    let t = Date.now();
    stdin.write("a");
    await wait(/every snapshot · 10000 shown/);
    const loadAll = Date.now() - t;
    const shown = (lastFrame() ?? "").split("\n").filter((l) => /^[ ›] [0-9a-f]{8} /.test(l)).length;
    const page = shown - 1;
    const times: number[] = [];
    for (let i = 1; i <= 5; i++) {
      t = Date.now();
      stdin.write("\u001B[6~");
      await wait(new RegExp(`\\b${i * page + 1}/10000`));
      times.push(Date.now() - t);
    }
    const f = lastFrame() ?? "";
    expect(f.split("\n").filter((l) => /^[ ›] [0-9a-f]{8} /.test(l)).length).toBe(shown);
    expect(f).toContain(`› ${(9999 - 5 * page).toString(16).padStart(8, "0")}`);
    console.log(`10,000-row catalog: load all ${loadAll} ms, PageDown ${times.join("/")} ms`);
    expect(loadAll).toBeLessThan(2000);
    expect(Math.max(...times)).toBeLessThan(250);
  });
});
