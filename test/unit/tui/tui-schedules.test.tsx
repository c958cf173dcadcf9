import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/load";
import { stacksDue } from "../../../src/schedule/due";
import { scheduleDrift } from "../../../src/schedule/drift";
import { installSystemd } from "../../../src/schedule/install";
import { jobsOf } from "../../../src/schedule/jobs";
import { invocation } from "../../../src/schedule/self";
import { systemdUnits } from "../../../src/schedule/units";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { nextRuns, parseSchedule } from "../../../src/schedule/cron";
import type { StackResultRow } from "../../../src/state/store";
import { App } from "../../../src/tui/app";
import { createBackend } from "../../../src/tui/backend";
import { runNote, startedBy, until, when } from "../../../src/tui/format";
import { container, fakeDocker, testContext, type TestContext } from "../../helpers/fakes";
import { KEY, press, until as untilFrame } from "../../helpers/ink";

// The Dashboard's schedule columns, the Schedules screen and the History screen, drawn by the App
// over the real backend: a real (temporary) SQLite state store with recorded runs, a config with
// [schedule] BACKUP, SYNC, VERIFY and a [stack:db] SCHEDULE, and a real dirlist file.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let tc: TestContext | undefined;
afterEach(() => {
  cleanup();
  tc?.cleanup();
  tc = undefined;
});

const lineWith = (f: string, re: RegExp) => f.split("\n").find((l) => re.test(l)) ?? "";
/** "in 22h" to the schedule's next run, as a pattern: seen now or a few seconds later (the frame is drawn in between). */
const nextIn = (expr: string) => {
  const at = (ms: number) =>
    until(nextRuns(parseSchedule(expr), 1, new Date(Date.now() + ms))[0].toISOString(), Date.now() + ms);
  return `(?:${[...new Set([at(-5000), at(0), at(5000)])].join("|")})`;
};
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

/**
 * web (enabled; last good backup 5 days ago, then a scheduled failure: overdue), cache (enabled,
 * backed up well just now), db (its own SCHEDULE, disabled in the dirlist). Runs, oldest first:
 * #1 a backup by hand, #2 the scheduled `backup` (web failed), #3 `backup:db` skipped, #4 a
 * scheduled verify. Two snapshots are pending deletion for space, due in two days.
 */
function world() {
  tc = testContext({
    docker: fakeDocker({
      containers: [
        container({ name: "web-app-1", project: "web" }),
        container({ name: "db-1", project: "db" }),
        container({ name: "cache-1", project: "cache" }),
      ],
    }),
    config: { stacks: { db: { schedule: "*/15 * * * *" } } },
  });
  const { ctx } = tc;
  Object.assign(ctx.config.schedule, { backup: "0 3 * * *", sync: "30 4 * * *", verify: "0 5 * * 0" });
  writeFileSync(ctx.config.dirlistFile, "+web\n-db\n+cache\n");
  const { store, owner } = ctx;
  const stack = (r: Omit<StackResultRow, "durationMs" | "downtimeMs"> & Partial<StackResultRow>) =>
    store.recordStack({ durationMs: 4000, downtimeMs: 1200, ...r });

  const r1 = store.startRun("backup", "manual", owner);
  stack({
    runId: r1,
    stack: "web",
    status: "succeeded",
    startedAt: iso(5 * DAY),
    bytesAdded: 2048,
    snapshotId: "abcdef0123456789",
  });
  store.finishRun(r1, "succeeded", 0);

  store.setScheduledJob("backup");
  const r2 = store.startRun("backup", "scheduled", owner);
  stack({
    runId: r2,
    stack: "web",
    status: "failed",
    startedAt: iso(HOUR),
    downtimeMs: 0,
    error: "restic exploded\nFatal: unable to save snapshot: disk full",
  });
  stack({
    runId: r2,
    stack: "cache",
    status: "succeeded",
    startedAt: iso(HOUR - 60_000),
    bytesAdded: 3 * 1024 * 1024,
    snapshotId: "cafe0123456789ab",
  });
  store.finishRun(r2, "failed", 1, "web: restic exploded");

  store.setScheduledJob("backup:db");
  store.recordSkipped("backup", "backup:db", "db is disabled in the dirlist", owner);

  store.setScheduledJob("verify");
  const r4 = store.startRun("verify", "scheduled", owner);
  store.finishRun(r4, "succeeded", 0);

  const dueAt = new Date(Date.now() + 2 * DAY).toISOString();
  store.addPending(
    ["1", "2"].map((c) => ({
      snapshotId: c.repeat(64),
      shortId: c.repeat(8),
      stack: "web",
      host: "test-host",
      time: iso(30 * DAY),
      reason: "repository over MAX_REPO_SIZE",
      dueAt,
      createdAt: iso(0),
    })),
  );
  return { ctx, backend: createBackend(ctx), runs: { r1, r2, r4 }, dueAt };
}

function renderApp(backend: ReturnType<typeof createBackend>, size = { columns: 80, rows: 24 }) {
  const exits: number[] = [];
  return { ...render(<App backend={backend} size={size} onExit={(c) => exits.push(c)} />), exits };
}

function fitsTerminal(f: string, size = { columns: 80, rows: 24 }) {
  for (const line of f.split("\n")) expect(line.length).toBeLessThanOrEqual(size.columns);
  expect(f.split("\n").length).toBeLessThanOrEqual(size.rows);
}

describe("TUI format helpers for schedules and runs", () => {
  it("Given times and runs, When formatted, Then next runs, who started a run and its results read as words", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(until("2026-11-22T13:30:00Z", now)).toBe("in 3h");
    expect(until("2026-11-25T10:00:00Z", now)).toBe("in 3d");
    expect(until("2026-11-22T09:00:00Z", now)).toBe("due now");
    expect(until(undefined, now)).toBe("-");
    expect(startedBy({ trigger: "manual" })).toBe("manual");
    expect(startedBy({ trigger: "scheduled", job: "backup:web" })).toBe("schedule backup:web");
    expect(
      runNote(
        [
          { stack: "web", status: "failed" },
          { stack: "db", status: "succeeded" },
        ],
        "web: restic exploded\nmore",
      ),
    ).toBe("web:FAILED db:ok — web: restic exploded");
    expect(runNote([], undefined)).toBe("-");
  });
});

describe("TUI dashboard with schedules", () => {
  it("Given a [schedule] BACKUP and an overdue stack, When the dashboard loads, Then each stack shows its next run, the overdue one is marked, and the pending deletions are announced", async () => {
    const { backend, dueAt } = world();
    const { lastFrame } = renderApp(backend);
    const f = await untilFrame(lastFrame, /cache\s+running/);
    fitsTerminal(f);
    const next = nextIn("0 3 * * *");
    expect(f).toMatch(/STACK\s+STATE\s+ENABLED\s+LAST BACKUP\s+NEXT RUN\s+SNAPS/);
    expect(lineWith(f, /^[ ›] web /)).toMatch(
      new RegExp(`web\\s+running\\s+yes\\s+1h ago failed\\s+${next}\\s+0 OVERDUE$`),
    );
    expect(lineWith(f, /^[ ›] cache /)).toMatch(
      new RegExp(`cache\\s+running\\s+yes\\s+59m ago succeeded\\s+${next}\\s+0$`),
    );
    // db has a SCHEDULE of its own, but the dirlist disables it: a scheduled run skips it.
    expect(lineWith(f, /^[ ›] db /)).toMatch(/db\s+running\s+no\s+never\s+-\s+0$/);
    // The warning wraps rather than losing its hint at the end.
    expect(f.replace(/\n/g, " ")).toContain(
      `! 2 snapshot(s) will be forgotten for space at ${when(dueAt)}; \`backup-tui prune --cancel\` calls it off`,
    );
    expect(f).toMatch(/! OVERDUE: web \(last good backup 5d ago, expected within 2d\)/);
    expect(f).not.toMatch(/OVERDUE: .*cache/);
  });

  it("Given deletions already due and a stack never backed up well, When the backend builds the dashboard, Then both warnings say so", async () => {
    const { ctx, backend } = world();
    ctx.store.addPending([
      {
        snapshotId: "3".repeat(64),
        shortId: "33333333",
        stack: "cache",
        host: "test-host",
        time: iso(40 * DAY),
        reason: "low space",
        dueAt: iso(HOUR),
        createdAt: iso(2 * DAY),
      },
    ]);
    const r = ctx.store.startRun("backup", "scheduled", ctx.owner);
    ctx.store.recordStack({
      runId: r,
      stack: "db",
      status: "failed",
      startedAt: iso(0),
      durationMs: 1,
      downtimeMs: 0,
      error: "nope",
    });
    writeFileSync(ctx.config.dirlistFile, "+web\n+db\n+cache\n");
    const d = await backend.dashboard();
    expect(d.warnings).toContain(
      `1 snapshot(s) will be forgotten for space at the next prune or backup (due since ${when(iso(HOUR))}); \`backup-tui prune --cancel\` calls it off`,
    );
    expect(d.warnings.find((w) => w.startsWith("OVERDUE:"))).toBe(
      "OVERDUE: db (no good backup yet, last attempt failed), web (last good backup 5d ago, expected within 2d)",
    );
    expect(d.stacks.find((s) => s.name === "db")).toMatchObject({
      overdue: true,
      next: nextRuns(parseSchedule("*/15 * * * *"), 1)[0].toISOString(),
    });
    expect(d.stacks.find((s) => s.name === "cache")?.overdue).toBe(false);
  });
});

describe("TUI schedules screen", () => {
  it("Given configured schedules, When 5 is pressed, Then each job shows its cron, its description, its last result, its next run and whether it runs", async () => {
    const { backend } = world();
    const { lastFrame, stdin } = renderApp(backend);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "5");
    let f = await untilFrame(lastFrame, /4 job\(s\)/);
    fitsTerminal(f);
    expect(f.split("\n")[0]).toContain("[5 Schedules]");
    expect(f).toMatch(/JOB\s+CRON\s+WHEN\s+LAST RUN\s+NEXT RUN\s+ENABLED/);
    expect(lineWith(f, /^[ ›] backup /)).toMatch(
      new RegExp(
        `^› backup\\s+0 3 \\* \\* \\*\\s+every day at 03:00\\s+\\d+s ago failed\\s+${nextIn("0 3 * * *")}\\s+yes$`,
      ),
    );
    expect(lineWith(f, /^[ ›] sync /)).toMatch(/sync\s+30 4 \* \* \*\s+every day at 04:30\s+never\s+-\s+no$/);
    expect(lineWith(f, /^[ ›] verify /)).toMatch(
      new RegExp(
        `verify\\s+0 5 \\* \\* 0\\s+every Sun at 05:00\\s+\\d+s ago succeeded\\s+${nextIn("0 5 * * 0")}\\s+yes$`,
      ),
    );
    expect(lineWith(f, /^[ ›] backup:db /)).toMatch(
      /backup:db\s+\*\/15 \* \* \* \*\s+every 15 minutes\s+\d+s ago skipped\s+-\s+no$/,
    );
    // The selected job in full below the table.
    expect(f).toContain("backup · [schedule] BACKUP = 0 3 * * * · every day at 03:00");
    expect(f).toMatch(/last run #2 \d{4}-\d\d-\d\d \d\d:\d\d failed \(exit 1\): web: restic exploded/);
    expect(f).toContain(
      `next runs ${nextRuns(parseSchedule("0 3 * * *"), 3)
        .map((d) => when(d.toISOString()))
        .join(", ")}`,
    );
    expect(f).toContain("not installed");

    await press(stdin, KEY.down);
    f = await untilFrame(lastFrame, /› sync/);
    expect(f).toContain("last run: never");
    expect(f).toContain("not enabled: no [cloud_sync] RCLONE_REMOTE is set");
    await press(stdin, KEY.down, KEY.down);
    f = await untilFrame(lastFrame, /› backup:db/);
    expect(f).toContain("backup:db · [stack:db] SCHEDULE = */15 * * * * · every 15 minutes");
    expect(f).toContain("not enabled: db is disabled in the dirlist (Stacks, 2, enables it)");
    expect(f).toMatch(/last run #3 .* skipped: db is disabled in the dirlist/);
  });

  it("Given a wide terminal, When the Schedules screen is drawn, Then the reason a job does not run is in its row", async () => {
    const { backend } = world();
    const size = { columns: 130, rows: 30 };
    const { lastFrame, stdin } = renderApp(backend, size);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "5");
    const f = await untilFrame(lastFrame, /4 job\(s\)/);
    fitsTerminal(f, size);
    expect(lineWith(f, /^[ ›] sync /)).toMatch(/never\s+-\s+no: no \[cloud_sync\] RCLONE_REMOTE is set$/);
    expect(lineWith(f, /^[ ›] backup:db /)).toMatch(/no: db is disabled in the dirlist$/);
  });

  it("Given a job, When Enter is pressed, Then History shows only that job's runs; f goes back to all runs", async () => {
    const { backend } = world();
    const { lastFrame, stdin } = renderApp(backend);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "5");
    await untilFrame(lastFrame, /4 job\(s\)/);
    await press(stdin, KEY.down, KEY.down, KEY.down, KEY.enter);
    let f = await untilFrame(lastFrame, /job backup:db · 1 shown/);
    expect(f.split("\n")[0]).toContain("[6 History]");
    expect(lineWith(f, /^› 3 /)).toMatch(
      /3\s+backup\s+\d\d-\d\d \d\d:\d\d\s+schedule backup:db\s+skipped\s+-\s+db is disabled…$/,
    );
    expect(f).not.toMatch(/^[ ›] [124] /m);
    await press(stdin, "f");
    f = await untilFrame(lastFrame, /all runs · 4 shown/);
  });

  it("Given a config file and installed timers, When Space is pressed on backup:db, Then [schedule] PAUSED is written (comments kept), the job does not run anywhere, the timers are said to differ, and Space resumes it", async () => {
    world();
    const { ctx } = tc!;
    const file = join(tc!.dir, "config.ini");
    writeFileSync(
      file,
      "# my notes\n[local_backup]\nRESTIC_REPOSITORY=/srv/repo\nRESTIC_PASSWORD=pw-1234\n[schedule]\n; nightly\nBACKUP=0 3 * * *\nSYNC=30 4 * * *\nVERIFY=0 5 * * 0\n\n[stack:db]\nSCHEDULE=*/15 * * * *\n",
      { mode: 0o600 },
    );
    ctx.config.source = { file, format: "sectioned" };
    writeFileSync(ctx.config.dirlistFile, "+web\n+db\n+cache\n");
    // Timers installed for the config as it was (into a scratch directory: not the live systemd).
    const unitDir = join(tc!.dir, "systemd");
    mkdirSync(unitDir);
    await installSystemd(systemdUnits(jobsOf(ctx.config), invocation(ctx.config)), unitDir, ctx.runner);
    expect(scheduleDrift(ctx.config, { systemd: unitDir, cron: unitDir })).toEqual([]);

    const { lastFrame, stdin } = renderApp(createBackend(ctx), { columns: 120, rows: 30 });
    await untilFrame(lastFrame, /\[1 Dashboard\]/);
    await press(stdin, "5");
    await untilFrame(lastFrame, /› backup\s/);
    await press(stdin, KEY.down, KEY.down, KEY.down);
    await untilFrame(lastFrame, /› backup:db\s/);
    await press(stdin, KEY.space);
    const f = await untilFrame(lastFrame, /› backup:db\s.*-\s+no: paused \(\[schedule\] PAUSED\)/);
    expect(f).toContain("backup:db paused: [schedule] PAUSED written to the config file");
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^\[schedule\]\nPAUSED=backup:db\n; nightly\nBACKUP=0 3 \* \* \*/m);
    expect(text.startsWith("# my notes\n")).toBe(true);

    // The file as the loader reads it: the daemon, `schedule install` and `schedule list` all leave the job out.
    const fresh = loadConfig({ flag: file, env: {}, exeDir: tc!.dir, cwd: tc!.dir, uid: 0 });
    expect(fresh.schedule.paused).toBe("backup:db");
    expect(jobsOf(fresh).find((j) => j.id === "backup:db")?.unavailable).toBe("paused ([schedule] PAUSED)");
    expect(systemdUnits(jobsOf(fresh), invocation(fresh)).map((u) => u.name)).not.toContain(
      "backup-tui-stack-db.timer",
    );
    expect(stacksDue(fresh, ["web", "db"], new Map()).map((d) => d.stack)).toEqual(["web"]);
    const drift = scheduleDrift(ctx.config, { systemd: unitDir, cron: unitDir });
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatch(
      /no longer wanted: backup-tui-stack-db\.service, backup-tui-stack-db\.timer.*run `backup-tui schedule install --systemd` again/,
    );

    await press(stdin, KEY.space);
    await untilFrame(lastFrame, /backup:db resumed/);
    expect(readFileSync(file, "utf8")).toMatch(/^PAUSED=$/m);
    expect(
      jobsOf(loadConfig({ flag: file, env: {}, exeDir: tc!.dir, cwd: tc!.dir, uid: 0 })).find(
        (j) => j.id === "backup:db",
      )?.unavailable,
    ).toBeUndefined();
    expect(scheduleDrift(ctx.config, { systemd: unitDir, cron: unitDir })).toEqual([]);
  });

  it("Given no schedule in the config, When 5 is pressed, Then the screen says how to set one", async () => {
    tc = testContext();
    const { lastFrame, stdin } = renderApp(createBackend(tc.ctx));
    await untilFrame(lastFrame, /\[1 Dashboard\]/);
    await press(stdin, "5");
    const f = await untilFrame(lastFrame, /0 job\(s\)/);
    expect(f.replace(/\n/g, " ")).toMatch(/No schedules configured\. Set \[schedule\] BACKUP=0 3 \* \* \*/);
  });
});

describe("TUI history screen", () => {
  it("Given recorded runs, When 6 is pressed, Then they are listed newest first with kind, who started them, status, exit code and per-stack results", async () => {
    const { backend } = world();
    const { lastFrame, stdin } = renderApp(backend);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "6");
    const f = await untilFrame(lastFrame, /all runs · 4 shown/);
    fitsTerminal(f);
    expect(f).toMatch(/RUN\s+KIND\s+STARTED\s+BY\s+STATUS\s+EXIT\s+STACKS \/ ERROR/);
    const rows = f.split("\n").filter((l) => /^[ ›] \d+ /.test(l));
    expect(rows.map((l) => l.slice(2, 8).trim())).toEqual(["4", "3", "2", "1"]);
    expect(rows[0]).toMatch(/^› 4\s+verify\s+\d\d-\d\d \d\d:\d\d\s+schedule verify\s+succeeded\s+0\s+-$/);
    expect(rows[2]).toMatch(/2\s+backup\s+\S+ \S+\s+schedule backup\s+failed\s+1\s+web:FAILED cac…$/);
    expect(rows[3]).toMatch(/1\s+backup\s+\S+ \S+\s+manual\s+succeeded\s+0\s+web:ok$/);
  });

  it("Given a run, When Enter is pressed on it, Then its stacks are shown with status, downtime, bytes added, snapshot and error; Esc goes back to the list", async () => {
    const { backend } = world();
    const { lastFrame, stdin } = renderApp(backend);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "6");
    await untilFrame(lastFrame, /all runs · 4 shown/);
    await press(stdin, KEY.down, KEY.down, KEY.enter);
    let f = await untilFrame(lastFrame, /Run #2 · backup · failed \(exit 1\)/);
    fitsTerminal(f);
    expect(f.split("\n")[0]).toContain("[6 History]");
    expect(f).toMatch(/Run #2 · backup · failed \(exit 1\) · schedule backup\n/);
    expect(f).toMatch(/\nstarted \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · finished \d\d:\d\d:\d\d · took \d+ms\n/);
    expect(f).toContain("error: web: restic exploded");
    expect(f).toMatch(/STACK\s+STATUS\s+DURATION\s+DOWNTIME\s+ADDED\s+SNAPSHOT\s+ERROR/);
    expect(lineWith(f, /^› web /)).toMatch(/web\s+failed\s+4s\s+0\s+-\s+-\s+restic ex…$/);
    expect(lineWith(f, /^ {2}cache /)).toMatch(/cache\s+succeeded\s+4s\s+1\.2s\s+3\.0 MiB\s+cafe0123/);
    // The selected stack's error in full.
    expect(f).toContain("web: restic exploded\n     Fatal: unable to save snapshot: disk full");
    expect(f).toContain("Bksp/← back to the list");
    await press(stdin, "?");
    expect(lastFrame()).toContain("Help: Run details");
    await press(stdin, "x", KEY.down);
    f = await untilFrame(lastFrame, /› cache/);
    expect(f).not.toContain("disk full");
    await press(stdin, KEY.esc);
    f = await untilFrame(lastFrame, /all runs · 4 shown/);
    expect(f).toContain("› 2 ");
    await press(stdin, "q");
    await untilFrame(lastFrame, /\[1 Dashboard\]/);
  });

  it("Given the kind filter, When f is pressed, Then only that kind is listed, cycling back to all", async () => {
    const { backend } = world();
    const { lastFrame, stdin } = renderApp(backend);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "6");
    await untilFrame(lastFrame, /all runs · 4 shown/);
    await press(stdin, "f");
    let f = await untilFrame(lastFrame, /backup runs · 3 shown/);
    expect(f).not.toMatch(/^[ ›] 4 /m);
    await press(stdin, "f");
    f = await untilFrame(lastFrame, /sync runs · 0 shown/);
    expect(f).toContain("No such runs");
    await press(stdin, "f");
    f = await untilFrame(lastFrame, /verify runs · 1 shown/);
    await press(stdin, "f", "f", "f", "f");
    await untilFrame(lastFrame, /all runs · 4 shown/);
  });

  it("Given a run recorded by another process (the daemon), When r is pressed, Then the History screen lists it", async () => {
    const { ctx, backend } = world();
    const { lastFrame, stdin } = renderApp(backend);
    await untilFrame(lastFrame, /cache\s+running/);
    await press(stdin, "6");
    await untilFrame(lastFrame, /all runs · 4 shown/);
    // A run recorded by another process (the daemon) shows after r.
    const r = ctx.store.startRun("prune", "scheduled", ctx.owner);
    ctx.store.finishRun(r, "succeeded", 0);
    await press(stdin, "r");
    const f = await untilFrame(lastFrame, /all runs · 5 shown/);
    expect(lineWith(f, /^› 5 /)).toMatch(/5\s+prune\s+\S+ \S+\s+schedule verify\s+succeeded/);
  });

  it("Given 6,000 runs in the state store, When the list pages down, Then only the visible rows are drawn, the newest 5,000 are held, and each key is quick", async () => {
    tc = testContext();
    const { store, owner } = tc.ctx;
    for (let i = 0; i < 6000; i++) {
      const id = store.startRun("backup", "manual", owner);
      store.recordStack({
        runId: id,
        stack: `s${i % 3}`,
        status: "succeeded",
        startedAt: iso(0),
        durationMs: 1,
        downtimeMs: 0,
      });
      store.finishRun(id, "succeeded", 0);
    }
    const { lastFrame, stdin } = renderApp(createBackend(tc.ctx), { columns: 100, rows: 30 });
    await untilFrame(lastFrame, /\[1 Dashboard\]/);
    let t = Date.now();
    await press(stdin, "6");
    let f = await untilFrame(lastFrame, /all runs · 5000 shown \(the newest 5000\)/);
    const load = Date.now() - t;
    const shown = f.split("\n").filter((l) => /^[ ›] \d+ /.test(l));
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(30);
    expect(shown[0]).toMatch(/^› 6000\s+backup .* s2:ok$/);
    const page = shown.length - 1;
    const times: number[] = [];
    for (let i = 1; i <= 3; i++) {
      t = Date.now();
      stdin.write(KEY.pageDown);
      f = await untilFrame(lastFrame, new RegExp(`\\b${i * page + 1}/5000`));
      times.push(Date.now() - t);
    }
    expect(f).toContain(`› ${6000 - 3 * page} `);
    expect(f.split("\n").filter((l) => /^[ ›] \d+ /.test(l)).length).toBe(shown.length);
    await press(stdin, "G");
    expect(lastFrame()).toContain("› 1001 ");
    console.log(`6,000 runs: History opens in ${load} ms, PageDown ${times.join("/")} ms`);
    expect(load).toBeLessThan(2000);
    expect(Math.max(...times)).toBeLessThan(250);
  });
});
