import { cleanup, render } from "ink-testing-library";
import { Secret } from "../../../src/exec/redact";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import { DisasterJournal } from "../../../src/services/disaster/journal";
import { afterEach, describe, expect, it } from "vitest";
import { AppError, ExitCode } from "../../../src/errors";
import type { DisasterReport } from "../../../src/services/disaster/disaster";
import type { EventSink } from "../../../src/services/run/events";
import { App } from "../../../src/tui/app";
import { createBackend, type DisasterChoice, type DisasterPlan, type TuiBackend } from "../../../src/tui/backend";
import { testContext, type TestContext } from "../../helpers/fakes";
import { KEY, press, until } from "../../helpers/ink";

// The guided bare-metal recovery (dashboard D) over a fake backend: the steps, the gate, the
// progress, the report, continuing an interrupted recovery, Ctrl-C.

const SECRET = "hunter2-secret";

interface Run {
  choice: DisasterChoice;
  password?: string;
  signal: AbortSignal;
  emit: EventSink;
  finish(r: DisasterReport): void;
  fail(err: unknown): void;
}

const REPORT: DisasterReport = {
  snapshot: "d00m5da7" + "b".repeat(56),
  snapshotTime: "2026-11-30T03:00:00.000Z",
  host: "oldhost",
  resumed: false,
  created: { networks: ["web_default", "shared-net"], volumes: ["cache_vol"] },
  imagesLoaded: ["local/app:1"],
  stacks: [
    {
      stack: "web",
      wasRunning: true,
      state: "running",
      containers: [{ name: "web-app-1", status: "running", health: "healthy" }],
      dumps: [],
    },
    {
      stack: "db",
      wasRunning: true,
      state: "failed",
      containers: [],
      dumps: [],
      error: "db's postgres does not accept connections after 120 s: its dump was not loaded",
    },
    { stack: "old", wasRunning: false, state: "not-started", containers: [], dumps: [] },
  ],
  manualContainers: [{ name: "portainer", image: "portainer/portainer-ce" }],
  files: {},
  warnings: ["network shared-net: its old subnet 10.9.0.0/24 is not free here; created with one Docker picks"],
  durationMs: 83_000,
  exitCode: ExitCode.serviceDown,
};

function fake(
  o: { password?: boolean; journal?: DisasterPlan["journal"]; remote?: string | null; slowAbort?: boolean } = {},
) {
  const runs: Run[] = [];
  const checked: string[] = [];
  const plan: DisasterPlan = {
    remote: o.remote === null ? undefined : (o.remote ?? "cloud:hosts/oldhost/restic"),
    repository: "/srv/restic-repo",
    host: o.journal?.host ?? "newhost",
    journal: o.journal,
    needsPassword: !!o.password,
    unguarded: o.password ? undefined : "no confirmation password is set; anyone who can run backup-tui can do this.",
  };
  const no = async (): Promise<never> => {
    throw new Error("not here");
  };
  const backend: TuiBackend = {
    dashboard: async () => ({
      repository: "/srv/restic-repo",
      host: "newhost",
      snapshotTotal: 0,
      stacks: [],
      warnings: [],
    }),
    selection: async () => ({ rows: [], file: "/dirlist", warnings: [] }),
    setEnabled: async () => undefined,
    addExternal: async () => undefined,
    runBackup: no,
    listSnapshots: () => [],
    refreshSnapshots: async () => ({ added: 0, removed: 0, total: 0 }),
    index: async () => undefined,
    children: () => [],
    schedules: async () => ({ jobs: [], installed: [] }),
    runs: () => [],
    runStacks: () => [],
    runLog: () => [],
    previewRestore: no,
    checkConfirmPassword: () => false,
    restore: no,
    sync: no,
    verify: no,
    setJobEnabled: async () => undefined,
    disaster: {
      plan: async () => plan,
      checkPassword: (pw) => (checked.push(pw), pw === SECRET),
      run: (choice, password, signal, emit) =>
        new Promise<DisasterReport>((finish, fail) => {
          runs.push({ choice, password, signal, emit, finish, fail });
          if (!o.slowAbort)
            signal.addEventListener("abort", () => fail(new AppError("interrupted", ExitCode.failed)), { once: true });
        }),
    },
  };
  return { backend, runs, checked };
}

function renderApp(backend: TuiBackend) {
  const exits: number[] = [];
  const r = render(<App backend={backend} size={{ columns: 80, rows: 24 }} onExit={(c) => exits.push(c)} />);
  return { ...r, exits };
}

async function openFlow(stdin: { write(s: string): void }, lastFrame: () => string | undefined): Promise<string> {
  await until(lastFrame, /D disaster recovery/);
  await press(stdin, "D");
  return until(lastFrame, /Step 1 of 4/);
}

let tc: TestContext | undefined;
afterEach(() => {
  cleanup();
  tc?.cleanup();
  tc = undefined;
});

describe("TUI disaster recovery", () => {
  it("Given no confirmation password, When D, Enter and 'yes' are typed, Then step 1 says where it pulls from, nothing runs before the yes, and the run gets --overwrite and --host as chosen", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    let fr = (await openFlow(stdin, lastFrame)).replace(/\n/g, " ");
    expect(fr).toContain("[1 Dashboard]");
    expect(fr).toContain("Recover host newhost onto this machine");
    expect(fr).toContain("pulls from: cloud:hosts/oldhost/restic → /srv/restic-repo (restic check)");
    expect(fr).toContain("overwrite: off");
    expect(fr).toContain("Ctrl-C during the run aborts it and quits; a rerun continues from the journal.");
    expect(fr).toContain("warning: no confirmation password is set");
    expect(fr).toMatch(/Enter next step\s+o overwrite on\/off\s+h old host name/);
    expect(fr.split("\n").length).toBeLessThanOrEqual(24);
    expect(fr).not.toContain("interrupted recovery was found");
    // h: the old host's name; o: overwrite.
    await press(stdin, "h", ..."oldhost", KEY.enter, "o");
    fr = (await until(lastFrame, /overwrite: ON/)).replace(/\n/g, " ");
    expect(fr).toContain("Recover host oldhost onto this machine");
    // A wrong answer changes nothing and goes back to step 1.
    await press(stdin, KEY.enter);
    await until(lastFrame, /Type yes to recover host oldhost \(overwriting what exists\):/);
    await press(stdin, ..."nope", KEY.enter);
    await until(lastFrame, /not confirmed; nothing was changed/);
    expect(f.runs).toEqual([]);
    // Esc at the question cancels too.
    await press(stdin, KEY.enter, KEY.esc);
    await until(lastFrame, /Step 1 of 4/);
    expect(f.runs).toEqual([]);
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    await until(lastFrame, /Step 3 of 4 · Recovering…/);
    expect(f.runs).toHaveLength(1);
    expect(f.runs[0].choice).toEqual({ host: "oldhost", overwrite: true });
    expect(f.runs[0].password).toBeUndefined();
  });

  it("Given a confirmation password, When yes and a wrong then the right password are typed, Then the wrong one runs nothing and is never on screen", async () => {
    const f = fake({ password: true });
    const { lastFrame, stdin, frames } = renderApp(f.backend);
    const fr = await openFlow(stdin, lastFrame);
    expect(fr).not.toContain("no confirmation password is set");
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    await until(lastFrame, /confirmation password:/);
    await press(stdin, ..."wrong1", KEY.enter);
    await until(lastFrame, /wrong confirmation password; nothing was changed/);
    expect(f.checked).toEqual(["wrong1"]);
    expect(f.runs).toEqual([]);
    await press(stdin, ...SECRET, KEY.enter);
    await until(lastFrame, /Recovering…/);
    expect(f.runs.map((r) => r.password)).toEqual([SECRET]);
    expect(frames.some((x) => x.includes(SECRET) || x.includes("wrong1"))).toBe(false);
  });

  it("Given a running recovery, When the service emits phases and finishes with a failed stack, Then the progress and log tail show, then the report with the failed stack marked, what was created, what to recreate, the warnings and the duration", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    await openFlow(stdin, lastFrame);
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    await until(lastFrame, /Recovering…/);
    const { emit, finish } = f.runs[0];
    emit({
      type: "info",
      stack: "disaster",
      message: "pulled cloud:hosts/oldhost/restic (42 file(s)); restic check passed",
    });
    emit({ type: "phase", stack: "web", phase: "restoring", detail: "stack web from 1a2b3c4d" });
    let fr = await until(lastFrame, /· restoring stack web from 1a2b3c4d/);
    expect(fr).toContain("disaster: pulled cloud:hosts/oldhost/restic (42 file(s)); restic check passed");
    expect(fr).toContain("web: restoring (stack web from 1a2b3c4d)");
    expect(fr).toContain("● running");
    expect(fr).toContain("^C abort (a rerun continues)");
    expect(fr).not.toContain("o overwrite on/off");
    finish(REPORT);
    fr = await until(lastFrame, /Step 4 of 4/);
    const flat = fr.replace(/\n/g, " ");
    expect(flat).toContain("RECOVERED WITH PROBLEMS: oldhost from doomsday snapshot d00m5da7");
    expect(flat).toContain("in 1m23s");
    expect(fr).toMatch(/^ {2}web\s+RUNNING\s+web-app-1 running\/healthy/m);
    expect(fr).toMatch(/^! db\s+FAILED\s+-/m);
    expect(fr).toMatch(/^ {2}old\s+was stopped: not started/m);
    expect(flat).toContain("db: db's postgres does not accept connections");
    expect(flat).toContain("created networks: web_default, shared-net");
    expect(flat).toContain("created volumes: cache_vol");
    expect(flat).toContain("recreate by hand: portainer (portainer/portainer-ce)");
    expect(flat).toContain("warning: network shared-net: its old subnet");
    // The run screen (3) has it too, in the CLI's words.
    await press(stdin, "3");
    fr = await until(lastFrame, /disaster finished with problems/);
    expect(fr).toContain("FAILED db: failed");
  });

  it("Given the journal of an interrupted recovery, When the flow opens, Then it offers to continue it and Enter continues (the same run, no new choices)", async () => {
    const f = fake({
      journal: {
        file: "/var/lib/backup-tui/disaster/journal.json",
        startedAt: "2026-12-01T08:00:00.000Z",
        steps: 7,
        host: "oldhost",
        snapshot: "d00m5da7" + "b".repeat(56),
      },
    });
    const { lastFrame, stdin } = renderApp(f.backend);
    const fr = (await openFlow(stdin, lastFrame)).replace(/\n/g, " ");
    expect(fr).toMatch(
      /An interrupted recovery was found \(begun .*, 7 step\(s\) done, host oldhost, snapshot d00m5da7;/,
    );
    expect(fr).toContain("Enter continues it: finished steps are skipped.");
    expect(fr).toContain("Enter continue the interrupted recovery");
    expect(fr).toContain("Recover host oldhost onto this machine");
    await press(stdin, KEY.enter, ..."y", KEY.enter);
    await until(lastFrame, /Recovering…/);
    expect(f.runs.map((r) => r.choice)).toEqual([{ overwrite: false }]);
  });

  it("Given no cloud remote, Then step 1 says the local repository is used as it is", async () => {
    const f = fake({ remote: null });
    const { lastFrame, stdin } = renderApp(f.backend);
    const fr = (await openFlow(stdin, lastFrame)).replace(/\n/g, " ");
    expect(fr).toMatch(/pulls from: nowhere \(no \[cloud_sync\] RCLONE_REMOTE\): uses \/srv\/restic-repo as it\s+is/);
  });

  it("Given a running recovery, When Ctrl-C, Then its AbortSignal fires, the screen says a rerun continues, and the TUI exits 130 only after the service returned", async () => {
    const f = fake({ slowAbort: true });
    const { lastFrame, stdin, exits } = renderApp(f.backend);
    await openFlow(stdin, lastFrame);
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    const fr = await until(lastFrame, /Recovering…/);
    expect(fr.replace(/\n/g, " ")).toMatch(/Ctrl-C aborts it .*running the recovery again continues where it stopped/);
    await press(stdin, KEY.ctrlC);
    expect(f.runs[0].signal.aborted).toBe(true);
    await until(lastFrame, /Aborting: stopping the child processes/);
    // The service has not returned yet: the TUI waits for it.
    await press(stdin, KEY.ctrlC);
    expect(lastFrame()).toContain("please wait");
    expect(exits).toEqual([]);
    f.runs[0].fail(new AppError("interrupted", ExitCode.failed));
    await until(() => (exits.length ? "exited" : ""), /exited/);
    expect(exits).toEqual([ExitCode.sigint]);
  });

  it("Given a recovery that fails (a conflict without overwrite), Then the error and its hint show, and Enter goes back to step 1 to run it again", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    await openFlow(stdin, lastFrame);
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    await until(lastFrame, /Recovering…/);
    f.runs[0].fail(
      new AppError(
        "this host already has 1 thing(s) the recovery would replace: volume web_data",
        ExitCode.usage,
        "Nothing was changed. Remove them, or pass --overwrite to restore over them.",
      ),
    );
    const fr = (await until(lastFrame, /did not complete/)).replace(/\n/g, " ");
    expect(fr).toContain("error: this host already has 1 thing(s) the recovery would replace: volume web_data");
    expect(fr).toContain("pass --overwrite");
    await press(stdin, KEY.enter);
    await until(lastFrame, /Step 1 of 4/);
    await press(stdin, "o", KEY.enter, ..."yes", KEY.enter);
    await until(lastFrame, /Recovering…/);
    expect(f.runs.map((r) => r.choice.overwrite)).toEqual([false, true]);
  });
});

describe("TUI disaster backend over the real services", () => {
  it("Given an interrupted recovery's journal and a cloud remote, When the plan is read, Then it names the remote, the repository and the journal's host, and writes nothing", async () => {
    tc = testContext();
    tc.ctx.config.cloud.remote = "cloud";
    tc.ctx.config.cloud.path = "hosts/oldhost/restic";
    const backend = createBackend(tc.ctx);
    let plan = await backend.disaster!.plan();
    expect(plan.journal).toBeUndefined();
    expect(plan.host).toBe(tc.ctx.config.hostname);
    expect(plan.unguarded).toMatch(/no confirmation password is set/);
    const j = new DisasterJournal(tc.stateDir);
    j.data.host = "oldhost";
    j.data.snapshot = "d00m5da7" + "b".repeat(56);
    j.data.done.push("pull", "networks");
    j.commit();
    plan = await backend.disaster!.plan();
    expect(plan).toMatchObject({
      remote: "cloud:hosts/oldhost/restic",
      repository: tc.ctx.config.restic.repository,
      host: "oldhost",
      needsPassword: false,
    });
    expect(plan.journal).toMatchObject({ file: j.file, steps: 2, host: "oldhost", startedAt: j.data.startedAt });
    // A finished recovery's journal is history: nothing to continue.
    j.complete();
    expect((await backend.disaster!.plan()).journal).toBeUndefined();
  });

  it("Given a confirmation hash, When the recovery is asked with a wrong or no password, Then it refuses before anything runs (no docker, restic or rclone call, no lock)", async () => {
    tc = testContext();
    tc.ctx.config.security.confirmPasswordHash = new Secret(hashConfirmPassword(SECRET));
    const backend = createBackend(tc.ctx);
    const signal = new AbortController().signal;
    expect((await backend.disaster!.plan()).needsPassword).toBe(true);
    await expect(backend.disaster!.run({ overwrite: false }, "wrong", signal, () => undefined)).rejects.toThrow(
      "wrong confirmation password; nothing was changed",
    );
    await expect(backend.disaster!.run({ overwrite: true }, undefined, signal, () => undefined)).rejects.toThrow(
      /refusing to recover the whole Docker host from the repository onto this machine \(overwriting what exists\): a confirmation password is required/,
    );
    expect(tc.runner.calls).toEqual([]);
    expect(tc.restic.calls).toEqual([]);
    expect(tc.docker.calls).toEqual([]);
    expect(backend.disaster!.checkPassword(SECRET, { overwrite: false })).toBe(true);
  });
});

describe("TUI disaster recovery report with many stacks", () => {
  it("Given 30 recovered stacks and one failed last, When the report shows at 80x24, Then the failed one is listed (worst first) and the rest counted", async () => {
    const f = fake();
    const { lastFrame, stdin } = renderApp(f.backend);
    await openFlow(stdin, lastFrame);
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    await until(lastFrame, /Recovering…/);
    const many = Array.from({ length: 29 }, (_, i) => ({
      stack: `s${String(i).padStart(2, "0")}`,
      wasRunning: true,
      state: "running" as const,
      containers: [],
      dumps: [],
    }));
    f.runs[0].finish({
      ...REPORT,
      stacks: [
        ...many,
        { stack: "zz-db", wasRunning: true, state: "failed", containers: [], dumps: [], error: "boom" },
      ],
    });
    const fr = await until(lastFrame, /Step 4 of 4/);
    expect(fr).toMatch(/^! zz-db\s+FAILED/m);
    expect(fr).toMatch(/\(\+\d+ more stack\(s\); the worst are listed first\)/);
    expect(fr.split("\n").length).toBeLessThanOrEqual(24);
  });
});

describe("TUI disaster recovery beside other runs", () => {
  it("Given a sync in progress, When the recovery is confirmed, Then it is refused with a flash and step 1 stays (nothing runs)", async () => {
    const f = fake();
    let endSync!: () => void;
    f.backend.sync = () => new Promise((_res, rej) => (endSync = () => rej(new Error("stopped"))));
    const { lastFrame, stdin } = renderApp(f.backend);
    await until(lastFrame, /D disaster recovery/);
    await press(stdin, "3", "s");
    await until(lastFrame, /Syncing/);
    await press(stdin, "1", "D");
    await until(lastFrame, /Step 1 of 4/);
    await press(stdin, KEY.enter, ..."yes", KEY.enter);
    const fr = await until(lastFrame, /a run is in progress: wait for it to finish/);
    expect(fr).toContain("Step 1 of 4");
    expect(f.runs).toEqual([]);
    endSync();
  });
});
