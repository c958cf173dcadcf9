import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StackSettings } from "../../../../src/config/types";
import type { Stack } from "../../../../src/docker/discovery";
import { ExitCode, ToolError } from "../../../../src/errors";
import type { JournalEntry } from "../../../../src/state/journal";
import { backupStack, type StackJob } from "../../../../src/services/backup/stack";
import { latestBy, latestByStack, runBackup, type BackupRequest } from "../../../../src/services/backup/backup";
import type { ServiceEvent } from "../../../../src/services/run/events";
import { recoverStopped } from "../../../../src/services/run/dead-runs";
import {
  COMPOSE_OK,
  container,
  fakeDocker,
  fakeRestic,
  fakeRunner,
  fakeStack,
  snapshot,
  testContext,
  type FakeDockerOptions,
  type FakeResticOptions,
  type RunnerAnswer,
  type TestContext,
} from "../../../helpers/fakes";

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

/** A stack directory with a compose file under the test's stacks dir. */
function stackDir(tc: TestContext, name: string): string {
  const dir = join(tc.stacksDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "compose.yaml"), "services: {}\n");
  return dir;
}

/** web depends on db; both running unless told otherwise. */
function appContainers(project = "app", status: "running" | "exited" = "running") {
  return [
    container({ name: `${project}-web-1`, project, service: "web", dependsOn: ["db"], status }),
    container({ name: `${project}-db-1`, project, service: "db", status }),
  ];
}

interface Setup {
  containers?: ReturnType<typeof container>[];
  docker?: Omit<FakeDockerOptions, "containers">;
  restic?: FakeResticOptions;
  runner?: RunnerAnswer[];
  stacks?: Record<string, Partial<StackSettings>>;
}

function setup(o: Setup = {}): { tc: TestContext; stack: Stack } {
  const containers = o.containers ?? appContainers();
  const tc = testContext({
    docker: fakeDocker({ containers, ...o.docker }),
    restic: fakeRestic(o.restic),
    runner: fakeRunner([...(o.runner ?? []), ...COMPOSE_OK]),
    config: { stacks: o.stacks },
  });
  t = tc;
  return { tc, stack: fakeStack("app", containers, { dir: stackDir(tc, "app") }) };
}

function job(stack: Stack, over: Partial<StackJob> = {}): StackJob {
  return {
    stack,
    runId: 7,
    trigger: "manual",
    strategy: "stop",
    twoPass: true,
    parent: "parent-0",
    signal: new AbortController().signal,
    toolVersions: { restic: "0.19.1" },
    ...over,
  };
}

function collect(): { events: ServiceEvent[]; emit: (e: ServiceEvent) => void } {
  const events: ServiceEvent[] = [];
  return { events, emit: (e) => events.push(e) };
}

const kindOf = (tags: string[]) => tags.find((x) => x.startsWith("kind:"));

describe("backupStack", () => {
  it("Given a running stack, When it is stopped, Then the journal entry is on disk at the moment of each stop call", async () => {
    const atStop: JournalEntry[][] = [];
    const { tc, stack } = setup({ docker: { onCall: (op) => op === "stop" && atStop.push(tc.ctx.journal.list()) } });

    await backupStack(tc.ctx, job(stack), () => undefined);

    expect(atStop).toHaveLength(2);
    for (const entries of atStop) {
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        id: "7-app",
        stack: "app",
        project: "app",
        owner: { pid: process.pid, host: "test-host" },
      });
      expect(entries[0].containers.map((c) => [c.name, c.action]).sort()).toEqual([
        ["app-db-1", "stopped"],
        ["app-web-1", "stopped"],
      ]);
    }
  });

  it("Given a successful backup, When the stack runs again, Then its journal entry is removed", async () => {
    const { tc, stack } = setup();

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(run.outcome.status).toBe("succeeded");
    expect(tc.ctx.journal.list()).toEqual([]);
    expect(readdirSync(join(tc.stateDir, "journal"))).toEqual([]);
    expect(tc.docker.get("app-web-1")?.status).toBe("running");
    expect(tc.docker.get("app-db-1")?.status).toBe("running");
  });

  it("Given two-pass, When backed up, Then a hot pass runs before any stop (parent = job.parent) and the final pass uses the hot snapshot as parent", async () => {
    const dockerCallsAtBackup: string[][] = [];
    const { tc, stack } = setup({ restic: { onBackup: () => dockerCallsAtBackup.push([...t!.docker.calls]) } });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    const [hot, final] = tc.restic.backups;
    expect(tc.restic.backups).toHaveLength(2);
    expect(kindOf(hot.tags)).toBe("kind:hot");
    expect(hot.parent).toBe("parent-0");
    expect(kindOf(final.tags)).toBe("kind:stack");
    expect(final.parent).toBe(tc.restic.created[0]);
    expect(final.tags).toEqual(["backup-tui", "stack:app", "kind:stack", "trigger:manual"]);
    expect(dockerCallsAtBackup[0]).toEqual([]);
    expect(dockerCallsAtBackup[1].sort()).toEqual(["stop app-db-1", "stop app-web-1"]);
    expect(run.hotSnapshot).toBe(tc.restic.created[0]);
    expect(run.outcome.snapshotId).toBe(tc.restic.created[1]);
    expect(run.outcome.bytesAdded).toBe(1000 + 2000);
  });

  it("Given two-pass and a stack under the hot pass's threshold, When backed up, Then one pass runs in the stop, saying why; past it, the hot pass is back", async () => {
    const { tc, stack } = setup();
    tc.ctx.hotPassMin = { bytes: 1 << 20, entries: 5000 };
    const { events, emit } = collect();
    await backupStack(tc.ctx, job(stack), emit);
    expect(tc.restic.backups.map((b) => kindOf(b.tags))).toEqual(["kind:stack"]);
    expect(events.find((e) => e.type === "stack-start")).toMatchObject({ twoPass: false });
    expect(events.some((e) => e.type === "info" && /single pass: under 1\.0 MiB and 5000 files/.test(e.message))).toBe(
      true,
    );
    tc.ctx.hotPassMin = { bytes: 1 << 20, entries: 1 };
    await backupStack(tc.ctx, job(stack), () => undefined);
    expect(tc.restic.backups.slice(1).map((b) => kindOf(b.tags))).toEqual(["kind:hot", "kind:stack"]);
  });

  it("Given two-pass and a stack with nothing running, When backed up, Then there is a single pass and no stop", async () => {
    const { tc, stack } = setup({ containers: appContainers("app", "exited") });
    const { events, emit } = collect();

    const run = await backupStack(tc.ctx, job(stack), emit);

    expect(tc.docker.calls).toEqual([]);
    expect(tc.restic.backups).toHaveLength(1);
    expect(kindOf(tc.restic.backups[0].tags)).toBe("kind:stack");
    expect(tc.restic.backups[0].parent).toBe("parent-0");
    expect(run.hotSnapshot).toBeUndefined();
    expect(run.outcome).toMatchObject({ status: "succeeded", downtimeMs: 0 });
    expect(events).toContainEqual({ type: "stack-start", stack: "app", strategy: "stop", twoPass: false });
  });

  it("Given two-pass off, When backed up, Then one pass runs while stopped", async () => {
    const stopped: string[] = [];
    const { tc, stack } = setup({ restic: { onBackup: () => stopped.push(t!.docker.get("app-web-1")!.status) } });

    await backupStack(tc.ctx, job(stack, { twoPass: false }), () => undefined);

    expect(tc.restic.calls).toEqual(["backup kind:stack"]);
    expect(stopped).toEqual(["exited"]);
  });

  it("Given the final restic pass throws, When backed up, Then the containers are started again and the outcome fails with the error", async () => {
    const { tc, stack } = setup({ restic: { failOn: "final" } });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(tc.docker.calls.filter((c) => c.startsWith("start")).sort()).toEqual(["start app-db-1", "start app-web-1"]);
    expect(tc.docker.get("app-web-1")?.status).toBe("running");
    expect(run.outcome.status).toBe("failed");
    expect(run.outcome.error).toContain("disk full");
    expect(run.outcome.snapshotId).toBeUndefined();
    expect(tc.ctx.journal.list()).toEqual([]);
  });

  it("Given the hot pass throws, When backed up, Then nothing is stopped and the outcome fails", async () => {
    const { tc, stack } = setup({ restic: { failOn: "hot" } });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(tc.docker.calls).toEqual([]);
    expect(tc.restic.backups).toHaveLength(1);
    expect(run.outcome.status).toBe("failed");
    expect(run.outcome.error).toContain("disk full");
  });

  it("Given a container that does not come back, When backed up, Then notRestarted names it and the journal keeps only it", async () => {
    const { tc, stack } = setup({
      docker: { failStart: { "app-db-1": { exitCode: 1, logTail: "FATAL: lock file exists" } } },
    });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(run.outcome.status).toBe("failed");
    expect(run.outcome.notRestarted).toEqual([
      { name: "app-db-1", reason: "is exited (exit code 1)", logTail: "FATAL: lock file exists" },
    ]);
    expect(run.outcome.error).toContain("not running again after the backup: app-db-1");
    const journal = tc.ctx.journal.list();
    expect(journal).toHaveLength(1);
    expect(journal[0].containers.map((c) => c.name)).toEqual(["app-db-1"]);
  });

  it("Given the final pass throws and a container does not come back, When backed up, Then both are reported", async () => {
    const { tc, stack } = setup({
      restic: { failOn: "final" },
      docker: { failStart: { "app-web-1": { exitCode: 137 } } },
    });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(run.outcome.notRestarted?.map((f) => f.name)).toEqual(["app-web-1"]);
    expect(run.outcome.error).toContain("disk full");
    expect(run.outcome.error).toContain("app-web-1");
    expect(tc.ctx.journal.list().map((e) => e.containers.map((c) => c.name))).toEqual([["app-web-1"]]);
  });

  it("Given a container the engine refuses to stop, When backed up, Then it fails and every container runs afterwards", async () => {
    const { tc, stack } = setup({ docker: { failStop: ["app-web-1"] } });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(run.outcome.status).toBe("failed");
    expect(run.outcome.error).toMatch(/stop app-web-1 failed/);
    expect(tc.docker.get("app-web-1")?.status).toBe("running");
    expect(tc.docker.get("app-db-1")?.status).toBe("running");
    expect(tc.restic.calls).toEqual(["backup kind:hot"]);
  });

  // Regression: see lifecycle.test.ts — every container runs afterwards, even when a sibling's stop was slow.
  it("Given one stop fails while a sibling's stop is slow, When backed up, Then every container runs afterwards", async () => {
    const containers = [
      container({ name: "app-web-1", service: "web" }),
      container({ name: "app-worker-1", service: "worker" }),
    ];
    const { tc, stack } = setup({ containers, docker: { failStop: ["app-web-1"], delayMs: { "app-worker-1": 60 } } });

    await backupStack(tc.ctx, job(stack), () => undefined);
    await new Promise((r) => setTimeout(r, 120));

    expect(tc.docker.get("app-worker-1")?.status).toBe("running");
  });

  it("Given strategy down, When backed up, Then the journal says down, compose brings the services down and up, and docker stops nothing", async () => {
    const atDown: JournalEntry[][] = [];
    const { tc, stack } = setup({
      runner: [{ match: /^docker compose .* down /, reply: () => void atDown.push(t!.ctx.journal.list()) }],
    });

    const run = await backupStack(tc.ctx, job(stack, { strategy: "down" }), () => undefined);

    expect(run.outcome.status).toBe("succeeded");
    expect(atDown[0].map((e) => [e.strategy, e.containers.map((c) => c.service).sort()])).toEqual([
      ["down", ["db", "web"]],
    ]);
    const compose = tc.runner.commands().filter((c) => / (down|up) /.test(c));
    expect(compose).toHaveLength(2);
    expect(compose[0]).toMatch(/--project-name app .* down --timeout 10$/);
    expect(compose[1]).toMatch(/--project-name app .* up -d web db$/);
    expect(tc.docker.calls).toEqual([]);
    expect(tc.ctx.journal.list()).toEqual([]);
  });

  it("Given a pre-hook that fails, When backed up, Then nothing is stopped or backed up and the outcome fails", async () => {
    const { tc, stack } = setup({
      stacks: { app: { preHook: "pg_dump app > dump.sql" } },
      runner: [{ match: "sh -c pg_dump", exitCode: 2, stderr: "pg_dump: connection refused" }],
    });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(tc.docker.calls).toEqual([]);
    expect(tc.restic.backups).toEqual([]);
    expect(run.outcome.status).toBe("failed");
    expect(run.outcome.error).toContain("pre-hook failed");
    expect(run.outcome.error).toContain("connection refused");
    const hook = tc.runner.calls.find((c) => c.file === "sh")!;
    expect(hook.options.cwd).toBe(stack.dir);
    expect(hook.options.env).toMatchObject({ BACKUP_TUI_STACK: "app", BACKUP_TUI_HOOK: "pre" });
  });

  it("Given the backup failed, When the stack is done, Then the post-hook still runs, after the containers are back", async () => {
    const statusAtHook: string[] = [];
    const { tc, stack } = setup({
      stacks: { app: { postHook: "notify-done" } },
      restic: { failOn: "final" },
      runner: [{ match: "sh -c notify-done", reply: () => void statusAtHook.push(t!.docker.get("app-web-1")!.status) }],
    });
    const { events, emit } = collect();

    const run = await backupStack(tc.ctx, job(stack), emit);

    expect(run.outcome.status).toBe("failed");
    expect(tc.runner.commands()).toContain("sh -c notify-done");
    expect(statusAtHook).toEqual(["running"]);
    expect(events).toContainEqual({ type: "phase", stack: "app", phase: "post-hook" });
  });

  it("Given a post-hook that fails after a good backup, When done, Then it is a warning and the backup still succeeds", async () => {
    const { tc, stack } = setup({
      stacks: { app: { postHook: "false" } },
      runner: [{ match: "sh -c false", exitCode: 1 }],
    });
    const { events, emit } = collect();

    const run = await backupStack(tc.ctx, job(stack), emit);

    expect(run.outcome.status).toBe("succeeded");
    expect(events.some((e) => e.type === "warning" && e.message.startsWith("post-hook failed"))).toBe(true);
  });

  it("Given restic reports unreadable files (exit 3), When backed up, Then the outcome is partial and lists them", async () => {
    const { tc, stack } = setup({
      restic: {
        unreadable: [
          { item: "/srv/stacks/app/secret.key", message: "open /srv/stacks/app/secret.key: permission denied" },
        ],
      },
    });

    const run = await backupStack(tc.ctx, job(stack), () => undefined);

    expect(run.outcome.status).toBe("partial");
    expect(run.outcome.snapshotId).toBe(tc.restic.created[1]);
    expect(run.outcome.unreadable).toEqual([
      "/srv/stacks/app/secret.key: open /srv/stacks/app/secret.key: permission denied",
    ]);
  });

  it("Given a stack, When backed up, Then restic gets the stack dir and the staged manifest, and staging is cleared afterwards", async () => {
    const { tc, stack } = setup();

    await backupStack(tc.ctx, job(stack), () => undefined);

    const paths = tc.restic.backups[1].paths;
    expect(paths[0]).toBe(stack.dir);
    expect(paths[1]).toBe(join(tc.stateDir, "staging", "app", "manifest.json"));
    expect(tc.restic.backups[1].host).toBe("test-host");
    expect(readdirSync(join(tc.stateDir, "staging"))).toEqual([]);
  });
});

describe("runBackup", () => {
  function request(stacks: Stack[], over: Partial<BackupRequest> = {}): BackupRequest {
    return { stacks, trigger: "manual", parallel: 1, signal: new AbortController().signal, ...over };
  }

  function twoStacks(o: Omit<Setup, "containers"> = {}): { tc: TestContext; stacks: Stack[] } {
    const app = appContainers("app");
    const blog = [container({ name: "blog-web-1", project: "blog", service: "web" })];
    const { tc } = setup({ ...o, containers: [...app, ...blog] });
    return {
      tc,
      stacks: [
        fakeStack("app", app, { dir: stackDir(tc, "app") }),
        fakeStack("blog", blog, { dir: stackDir(tc, "blog") }),
      ],
    };
  }

  it("Given two stacks backed up two-pass, When the run ends, Then all hot snapshots are forgotten in ONE forget call, last", async () => {
    const { tc, stacks } = twoStacks();

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(report.exitCode).toBe(ExitCode.ok);
    const hot = tc.restic.backups.filter((b) => kindOf(b.tags) === "kind:hot").map((_, i) => tc.restic.created[i * 2]);
    expect(tc.restic.forgets).toHaveLength(1);
    expect(tc.restic.forgets[0].ids).toEqual(hot);
    expect(hot).toHaveLength(2);
    const forgetAt = tc.restic.calls.indexOf("forget");
    const lastBackupAt = tc.restic.calls.findLastIndex((c) => c.startsWith("backup"));
    expect(forgetAt).toBeGreaterThan(lastBackupAt);
    expect(tc.restic.calls.filter((c) => c === "forget")).toHaveLength(1);
    // This host's own forget: no tamper when a sync target loses them.
    expect(tc.ctx.store.targets.forgotten()).toEqual(new Set(hot));
  });

  it("Given the hot snapshots cannot be forgotten, When the run ends, Then it warns and remembers none as forgotten", async () => {
    const { tc, stacks } = twoStacks({ restic: { forgetError: new Error("repository is locked") } });

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(report.warnings.join("\n")).toContain("could not forget hot snapshots");
    expect(tc.ctx.store.targets.forgotten()).toEqual(new Set());
  });

  it("Given a previous run, When the next run starts, Then parents come from the catalog without listing the repository", async () => {
    const { tc, stacks } = twoStacks();
    await runBackup(tc.ctx, request(stacks), () => undefined);
    expect(tc.restic.calls.filter((c) => c === "snapshots")).toHaveLength(1); // the first run fills the catalog once
    const firstFinals = tc.restic.backups.filter((b) => kindOf(b.tags) === "kind:stack").length;
    const finals = tc.restic.created.filter((id) => id.endsWith("-stack"));

    await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(tc.restic.calls.filter((c) => c === "snapshots")).toHaveLength(1);
    const hotOfSecondRun = tc.restic.backups.filter((b) => kindOf(b.tags) === "kind:hot").slice(2);
    expect(hotOfSecondRun.map((b) => b.parent).sort()).toEqual(finals.sort());
    expect(firstFinals).toBe(2);
  });

  it("Given the catalog's parent was forgotten by hand, When backed up, Then restic is asked again without a parent", async () => {
    const { tc, stacks } = twoStacks();
    await runBackup(tc.ctx, request(stacks.slice(0, 1)), () => undefined);
    const original = tc.restic.backup;
    let refused = 0;
    tc.restic.backup = async (req) => {
      if (req.parent && refused === 0) {
        refused++;
        throw new ToolError(
          "restic failed (exit 1)",
          "restic backup",
          1,
          'Fatal: invalid id "x": no matching ID found for prefix "x"',
          "exit",
        );
      }
      return original(req);
    };
    const events: string[] = [];
    const report = await runBackup(
      tc.ctx,
      request(stacks.slice(0, 1)),
      (e) => e.type === "warning" && events.push(e.message),
    );

    expect(report.exitCode).toBe(ExitCode.ok);
    expect(refused).toBe(1);
    expect(events.some((m) => m.includes("is gone"))).toBe(true);
  });

  it("Given a run, When it ends, Then the store holds the run and one row per stack", async () => {
    const { tc, stacks } = twoStacks();

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    const [run] = tc.ctx.store.recentRuns(1);
    expect(run).toMatchObject({
      id: report.runId,
      kind: "backup",
      trigger: "manual",
      status: "succeeded",
      exitCode: 0,
    });
    expect(run.finishedAt).toBeDefined();
    const rows = tc.ctx.store.stackResults(report.runId);
    expect(rows.map((r) => [r.stack, r.status, r.snapshotId])).toEqual([
      ["app", "succeeded", tc.restic.created[1]],
      ["blog", "succeeded", tc.restic.created[3]],
    ]);
    expect(rows[0].downtimeMs).toBeGreaterThanOrEqual(0);
    expect(rows[0].bytesAdded).toBe(1000 + 2000);
  });

  const exitCases: Array<{ what: string; o: Omit<Setup, "containers">; exitCode: number; status: string }> = [
    { what: "every stack succeeds", o: {}, exitCode: ExitCode.ok, status: "succeeded" },
    {
      what: "restic could not read some files",
      o: { restic: { unreadable: [{ item: "/x", message: "permission denied" }] } },
      exitCode: ExitCode.partial,
      status: "partial",
    },
    { what: "a restic pass fails", o: { restic: { failOn: "final" } }, exitCode: ExitCode.failed, status: "failed" },
    {
      what: "a container is not running again",
      o: { docker: { failStart: { "blog-web-1": { exitCode: 1 } } } },
      exitCode: ExitCode.serviceDown,
      status: "failed",
    },
  ];
  it.each(exitCases)(
    "Given $what, When the run ends, Then the exit code is $exitCode ($status)",
    async ({ o, exitCode, status }) => {
      const { tc, stacks } = twoStacks(o);

      const report = await runBackup(tc.ctx, request(stacks), () => undefined);

      expect(report.exitCode).toBe(exitCode);
      expect(report.status).toBe(status);
      expect(tc.ctx.store.recentRuns(1)[0]).toMatchObject({ status, exitCode });
    },
  );

  it("Given a failed stack, When the run ends, Then the other stack still ran and the run's error names the failed one", async () => {
    const { tc, stacks } = twoStacks({ docker: { failStop: ["blog-web-1"] } });

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(report.outcomes.map((o) => [o.stack, o.status])).toEqual([
      ["app", "succeeded"],
      ["blog", "failed"],
    ]);
    expect(tc.ctx.store.recentRuns(1)[0].error).toMatch(/^blog: .*stop blog-web-1 failed/);
  });

  it("Given earlier snapshots, When backing up, Then each stack's parent is its newest kind:stack snapshot of this host", async () => {
    const { tc, stacks } = twoStacks({
      restic: {
        snapshots: [
          snapshot({ id: "app-old", time: "2026-01-01T01:00:00Z", tags: ["backup-tui", "stack:app", "kind:stack"] }),
          snapshot({ id: "app-new", time: "2026-01-02T01:00:00Z", tags: ["backup-tui", "stack:app", "kind:stack"] }),
          snapshot({ id: "app-hot", time: "2026-01-03T01:00:00Z", tags: ["backup-tui", "stack:app", "kind:hot"] }),
          snapshot({
            id: "app-other-host",
            time: "2026-01-04T01:00:00Z",
            host: "elsewhere",
            tags: ["backup-tui", "stack:app", "kind:stack"],
          }),
        ],
      },
    });

    await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(tc.restic.backups.map((b) => [b.tags[1], kindOf(b.tags), b.parent])).toEqual([
      ["stack:app", "kind:hot", "app-new"],
      ["stack:app", "kind:stack", tc.restic.created[0]],
      ["stack:blog", "kind:hot", undefined],
      ["stack:blog", "kind:stack", tc.restic.created[2]],
    ]);
  });

  it("Given forgetting the hot snapshots fails, When the run ends, Then it is a warning naming them, not a failure: the run is partial (exit 3)", async () => {
    const { tc, stacks } = twoStacks({ restic: { forgetError: new Error("repository is already locked") } });

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain(tc.restic.created[0]);
    expect(report.warnings[0]).toContain("already locked");
    expect(report.exitCode).toBe(ExitCode.partial);
    expect(report.status).toBe("partial");
  });

  it("Given listing snapshots fails, When the run starts, Then it fails as a whole, no stack is touched, and the store says why", async () => {
    const { tc, stacks } = twoStacks();
    tc.restic.snapshots = async () => {
      throw new Error("no restic repository at /srv/restic-repo");
    };

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(report).toMatchObject({ status: "failed", exitCode: ExitCode.failed });
    expect(tc.docker.calls).toEqual([]);
    expect(tc.ctx.store.recentRuns(1)[0]).toMatchObject({
      status: "failed",
      error: "no restic repository at /srv/restic-repo",
    });
  });

  it("Given an aborted signal, When the run starts, Then no stack is backed up and the run is interrupted", async () => {
    const { tc, stacks } = twoStacks();
    const ac = new AbortController();
    ac.abort();

    const report = await runBackup(tc.ctx, request(stacks, { signal: ac.signal }), () => undefined);

    expect(tc.restic.backups).toEqual([]);
    expect(report.status).toBe("interrupted");
    expect(report.exitCode).toBe(ExitCode.sigint);
  });

  it("Given parallel 2, When two stacks run, Then both are backed up at the same time", async () => {
    const { tc, stacks } = twoStacks();

    await runBackup(tc.ctx, request(stacks, { parallel: 2 }), () => undefined);

    // Both hot passes begin before either stack is stopped.
    expect(tc.restic.calls.slice(0, 3)).toEqual(["snapshots", "backup kind:hot", "backup kind:hot"]);
  });

  it("Given auto-prune, When the run ends, Then retention forgets per stack by kind:stack and prunes once", async () => {
    const { tc, stacks } = twoStacks({
      restic: {
        forgetGroups: (req) =>
          req.ids
            ? []
            : [
                {
                  keep: [],
                  remove: [snapshot({ id: `old-${req.tags?.[1]}`, time: "2025-01-01T00:00:00Z", tags: [] })],
                },
              ],
      },
    });
    tc.ctx.config.retention.autoPrune = true;

    const report = await runBackup(tc.ctx, request(stacks), () => undefined);

    expect(tc.restic.forgets.slice(1).map((f) => f.tags)).toEqual([
      ["backup-tui", "stack:app", "kind:stack"],
      ["backup-tui", "stack:blog", "kind:stack"],
    ]);
    expect(tc.restic.forgets[1]).toMatchObject({ groupBy: "host", keepTags: ["protected"], keep: { last: 3 } });
    expect(tc.restic.calls.filter((c) => c === "prune")).toHaveLength(1);
    expect(report.retention).toEqual([
      { stack: "app", removed: 1 },
      { stack: "blog", removed: 1 },
    ]);
  });
});

describe("latestBy", () => {
  const tags = (stack: string, kind = "kind:stack") => ["backup-tui", `stack:${stack}`, kind];

  it("Given snapshots of several stacks, kinds and hosts, When the parents are picked, Then it is the newest kind:stack per stack of this host", () => {
    const snaps = [
      snapshot({ id: "a1", time: "2026-03-01T10:00:00Z", tags: tags("app") }),
      snapshot({ id: "a2", time: "2026-03-02T10:00:00Z", tags: tags("app") }),
      snapshot({ id: "a3-hot", time: "2026-03-03T10:00:00Z", tags: tags("app", "kind:hot") }),
      snapshot({ id: "a4-other", time: "2026-03-04T10:00:00Z", host: "other-host", tags: tags("app") }),
      snapshot({ id: "b1", time: "2026-03-01T12:00:00Z", tags: tags("blog") }),
      snapshot({ id: "untagged", time: "2026-03-05T12:00:00Z", tags: ["backup-tui", "kind:stack"] }),
    ];

    const latest = latestByStack(snaps, "test-host");

    expect(Object.fromEntries([...latest].map(([k, v]) => [k, v.id]))).toEqual({ app: "a2", blog: "b1" });
  });

  it("Given volume snapshots, When picked by vol: prefix and kind:volume, Then stack snapshots are ignored", () => {
    const snaps = [
      snapshot({ id: "v1", time: "2026-03-01T10:00:00Z", tags: ["backup-tui", "vol:data", "kind:volume"] }),
      snapshot({ id: "s1", time: "2026-03-02T10:00:00Z", tags: ["backup-tui", "stack:app", "vol:data", "kind:stack"] }),
    ];

    expect(latestBy(snaps, "test-host", "kind:volume", "vol:").get("data")?.id).toBe("v1");
  });

  // Regression: snapshot times are compared as instants (offsets, trimmed fractions), not as strings.
  it("Given snapshots on both sides of a DST change, When picked, Then the later instant wins", () => {
    const snaps = [
      snapshot({ id: "before", time: "2026-10-25T02:30:00+02:00", tags: tags("app") }), // 00:30 UTC
      snapshot({ id: "after", time: "2026-10-25T02:10:00+01:00", tags: tags("app") }), // 01:10 UTC
    ];

    expect(latestByStack(snaps, "test-host").get("app")?.id).toBe("after");
  });
});

describe("recoverStopped", () => {
  function deadPid(): number {
    return spawnSync("true").pid!;
  }

  it("Given a journal entry left by a dead run on this host, When recovering, Then its containers start and the entry is removed", async () => {
    const containers = appContainers("app", "exited");
    const tc = testContext({ docker: fakeDocker({ containers }) });
    t = tc;
    tc.ctx.journal.write({
      id: "3-app",
      runId: 3,
      stack: "app",
      strategy: "stop",
      project: "app",
      configFiles: [],
      envFiles: [],
      containers: [
        { id: "id-app-web-1", name: "app-web-1", service: "web", action: "stopped", level: 1 },
        { id: "id-app-db-1", name: "app-db-1", service: "db", action: "stopped", level: 0 },
      ],
      owner: { pid: deadPid(), host: "test-host", startedAt: "2026-01-01T00:00:00Z", command: "backup-tui backup" },
      writtenAt: "2026-01-01T00:00:00Z",
    });

    const result = await recoverStopped(tc.ctx, () => undefined);

    expect(tc.docker.calls).toEqual(["start app-db-1", "start app-web-1"]);
    expect(result.recovered.sort()).toEqual(["app-db-1", "app-web-1"]);
    expect(result.failed).toEqual([]);
    expect(tc.ctx.journal.list()).toEqual([]);
  });

  it("Given entries of a live run and of another host, When recovering, Then they are left alone", async () => {
    const tc = testContext({ docker: fakeDocker({ containers: appContainers("app", "exited") }) });
    t = tc;
    const base = {
      runId: 3,
      stack: "app",
      strategy: "stop",
      project: "app",
      writtenAt: "",
      containers: [{ id: "id-app-db-1", name: "app-db-1", service: "db", action: "stopped" as const }],
    };
    tc.ctx.journal.write({
      ...base,
      id: "live",
      owner: { pid: process.pid, host: "test-host", startedAt: "", command: "backup-tui backup" },
    });
    tc.ctx.journal.write({
      ...base,
      id: "remote",
      owner: { pid: deadPid(), host: "another-host", startedAt: "", command: "backup-tui backup" },
    });

    const result = await recoverStopped(tc.ctx, () => undefined);

    expect(result.live).toBe(2);
    expect(tc.docker.calls).toEqual([]);
    expect(tc.ctx.journal.list()).toHaveLength(2);
  });
});
