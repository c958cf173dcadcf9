import { describe, expect, it } from "vitest";
import type { ContainerInfo } from "../../../src/docker/client";
import { ComposeCli } from "../../../src/docker/compose";
import {
  dependencyLevels,
  plannedActions,
  planQuiesce,
  quiesce,
  resume,
  settleStops,
  type LifecycleDeps,
} from "../../../src/docker/lifecycle";
import { OUR } from "../../../src/docker/labels";
import type { JournalEntry } from "../../../src/state/journal";
import { currentOwner } from "../../../src/state/process-info";
import {
  COMPOSE_OK,
  container,
  fakeDocker,
  fakeRunner,
  fakeStack,
  plainContainer,
  type FakeDocker,
  type FakeRunner,
} from "../../helpers/fakes";

const names = (levels: ContainerInfo[][]) => levels.map((l) => l.map((c) => c.name).sort());

/** web → api → db: web depends on api, api on db. */
const chain = () => [
  container({ name: "web", dependsOn: ["api"] }),
  container({ name: "api", dependsOn: ["db"] }),
  container({ name: "db" }),
];

/** top → left, right → bottom. */
const diamond = () => [
  container({ name: "top", dependsOn: ["left", "right"] }),
  container({ name: "left", dependsOn: ["bottom"] }),
  container({ name: "right", dependsOn: ["bottom"] }),
  container({ name: "bottom" }),
];

function deps(docker: FakeDocker, runner: FakeRunner = fakeRunner(COMPOSE_OK)): LifecycleDeps {
  return {
    docker,
    compose: new ComposeCli(runner, "docker compose"),
    stopTimeoutSec: 7,
    timeoutMs: 5000,
    settleMs: 100,
    sleep: async () => undefined,
  };
}

function entry(containers: JournalEntry["containers"], over: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id: "1-app",
    runId: 1,
    stack: "app",
    strategy: "stop",
    project: "app",
    workingDir: "/srv/stacks/app",
    configFiles: ["/srv/stacks/app/compose.yaml"],
    envFiles: [],
    containers,
    owner: currentOwner("test-host", "backup-tui backup"),
    writtenAt: new Date().toISOString(),
    ...over,
  };
}

describe("planQuiesce", () => {
  it("Given a running stack and strategy stop, When planned, Then every container is stopped, dependents first", () => {
    const plan = planQuiesce(fakeStack("app", chain()), "stop");

    expect(plan.strategy).toBe("stop");
    expect(names(plan.stopLevels)).toEqual([["web"], ["api"], ["db"]]);
    expect(plan.pause).toEqual([]);
    expect(plan.downServices).toEqual([]);
    expect(plan.untouched).toEqual([]);
  });

  it("Given a stopped stack, When planned with stop, Then nothing is touched and each says why", () => {
    const stack = fakeStack("app", [
      container({ name: "web", status: "exited" }),
      container({ name: "db", status: "created" }),
    ]);

    const plan = planQuiesce(stack, "stop");

    expect(plan.stopLevels).toEqual([]);
    expect(plannedActions(plan)).toEqual([]);
    expect(plan.untouched.map((u) => [u.container.name, u.reason])).toEqual([
      ["web", "not running (exited); it stays as it is"],
      ["db", "not running (created); it stays as it is"],
    ]);
  });

  it("Given a paused container, When planned with stop, Then it is left paused and not stopped", () => {
    const plan = planQuiesce(
      fakeStack("app", [container({ name: "web", status: "paused" }), container({ name: "db" })]),
      "stop",
    );

    expect(names(plan.stopLevels)).toEqual([["db"]]);
    expect(plan.untouched.map((u) => [u.container.name, u.reason])).toEqual([["web", "already paused"]]);
  });

  it("Given a mixed stack (one running, one exited, one restarting), When planned, Then the running and restarting ones stop", () => {
    const stack = fakeStack("app", [
      container({ name: "web" }),
      container({ name: "worker", status: "exited" }),
      container({ name: "cron", status: "restarting" }),
    ]);

    const plan = planQuiesce(stack, "stop");

    expect(
      plan.stopLevels
        .flat()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["cron", "web"]);
    expect(plan.untouched.map((u) => u.container.name)).toEqual(["worker"]);
  });

  it("Given strategy pause, When planned, Then running containers are paused and none stopped", () => {
    const plan = planQuiesce(fakeStack("app", chain()), "pause");

    expect(plan.pause.map((c) => c.name)).toEqual(["web", "api", "db"]);
    expect(plan.stopLevels).toEqual([]);
    expect(plannedActions(plan).map((a) => [a.name, a.action])).toEqual([
      ["web", "paused"],
      ["api", "paused"],
      ["db", "paused"],
    ]);
  });

  it("Given strategy none, When planned, Then every container keeps running with the reason", () => {
    const plan = planQuiesce(fakeStack("app", chain()), "none");

    expect(plan.stopLevels).toEqual([]);
    expect(plan.pause).toEqual([]);
    expect(plan.untouched.map((u) => u.reason)).toEqual(Array(3).fill("strategy none: backed up while running"));
  });

  it("Given strategy down on a Compose project, When planned, Then the running services are brought down with compose", () => {
    const stack = fakeStack("app", [
      container({ name: "app-web-1", service: "web" }),
      container({ name: "app-db-1", service: "db" }),
      container({ name: "app-old-1", service: "old", status: "exited" }),
    ]);

    const plan = planQuiesce(stack, "down");

    expect(plan.strategy).toBe("down");
    expect(plan.downServices).toEqual(["web", "db"]);
    expect(plan.stopLevels).toEqual([]);
    expect(plan.notes).toEqual([]);
  });

  it("Given strategy down and an exempt running container (stop=false), When planned, Then it degrades to stop with a note naming it", () => {
    const stack = fakeStack("app", [
      container({ name: "web" }),
      container({ name: "db" }),
      container({ name: "metrics", labels: { [OUR.stop]: "false" } }),
    ]);

    const plan = planQuiesce(stack, "down");

    expect(plan.strategy).toBe("stop");
    expect(plan.downServices).toEqual([]);
    expect(
      plan.stopLevels
        .flat()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["db", "web"]);
    expect(plan.untouched.map((u) => u.container.name)).toEqual(["metrics"]);
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0]).toContain("metrics must keep running");
  });

  it("Given strategy down but containers without Compose labels, When planned, Then it stops them instead", () => {
    const plan = planQuiesce(fakeStack("plain", [plainContainer("solo")]), "down");

    expect(plan.strategy).toBe("stop");
    expect(plan.downServices).toEqual([]);
    expect(names(plan.stopLevels)).toEqual([["solo"]]);
  });

  it("Given a backup-tui.strategy=pause label in a stop stack, When planned, Then that container is paused and the others stopped", () => {
    const stack = fakeStack("app", [
      container({ name: "web" }),
      container({ name: "db", labels: { [OUR.strategy]: "Pause" } }),
    ]);

    const plan = planQuiesce(stack, "stop");

    expect(plan.pause.map((c) => c.name)).toEqual(["db"]);
    expect(plan.stopLevels.flat().map((c) => c.name)).toEqual(["web"]);
  });

  it("Given backup-tui.stop=false, When planned with stop, Then that container is backed up while running", () => {
    const stack = fakeStack("app", [
      container({ name: "web" }),
      container({ name: "cache", labels: { [OUR.stop]: "FALSE", [OUR.strategy]: "stop" } }),
    ]);

    const plan = planQuiesce(stack, "stop");

    expect(plan.stopLevels.flat().map((c) => c.name)).toEqual(["web"]);
    expect(plan.untouched).toEqual([
      { container: stack.containers[1], reason: "strategy none: backed up while running" },
    ]);
  });

  it("Given a strategy=down label in a stop stack, When planned, Then that container is stopped (no compose down)", () => {
    const stack = fakeStack("app", [
      container({ name: "web", labels: { [OUR.strategy]: "down" } }),
      container({ name: "db" }),
    ]);

    const plan = planQuiesce(stack, "stop");

    expect(plan.downServices).toEqual([]);
    expect(
      plan.stopLevels
        .flat()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["db", "web"]);
  });

  it("Given an unknown strategy label, When planned, Then the stack's strategy applies", () => {
    const stack = fakeStack("app", [container({ name: "web", labels: { [OUR.strategy]: "freeze" } })]);

    expect(planQuiesce(stack, "pause").pause.map((c) => c.name)).toEqual(["web"]);
  });
});

describe("dependencyLevels", () => {
  it("Given a chain web → api → db, When grouped, Then db is level 0, api 1, web 2", () => {
    expect(names(dependencyLevels(chain()))).toEqual([["db"], ["api"], ["web"]]);
  });

  it("Given a diamond, When grouped, Then the two middle services share a level", () => {
    expect(names(dependencyLevels(diamond()))).toEqual([["bottom"], ["left", "right"], ["top"]]);
  });

  it("Given a dependency on a service outside the set, When grouped, Then it is ignored", () => {
    const levels = dependencyLevels([container({ name: "web", dependsOn: ["db"] }), container({ name: "worker" })]);

    expect(names(levels)).toEqual([["web", "worker"]]);
  });

  it("Given a cycle a → b → a, When grouped, Then it returns (no hang) with each container exactly once", () => {
    const levels = dependencyLevels([
      container({ name: "a", dependsOn: ["b"] }),
      container({ name: "b", dependsOn: ["a"] }),
      container({ name: "c" }),
    ]);

    expect(
      levels
        .flat()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["a", "b", "c"]);
    expect(levels.every((l) => l.length > 0)).toBe(true);
  });

  it("Given containers without service labels, When grouped, Then they are keyed by name", () => {
    expect(names(dependencyLevels([plainContainer("x"), plainContainer("y")]))).toEqual([["x", "y"]]);
  });
});

describe("plannedActions", () => {
  it("Given a chain, When journalled, Then each container carries its dependency depth (0 starts first)", () => {
    const actions = plannedActions(planQuiesce(fakeStack("app", chain()), "stop"));

    expect(actions.map((a) => [a.name, a.action, a.level, a.service])).toEqual([
      ["web", "stopped", 2, "web"],
      ["api", "stopped", 1, "api"],
      ["db", "stopped", 0, "db"],
    ]);
  });
});

describe("quiesce", () => {
  it("Given a chain, When quiesced, Then dependents stop before what they depend on, with the stop timeout", async () => {
    const stack = fakeStack("app", chain());
    const docker = fakeDocker({ containers: stack.containers });
    const timeouts: number[] = [];
    const spy = { ...docker, stop: (id: string, t: number) => (timeouts.push(t), docker.stop(id, t)) };

    await quiesce(stack, planQuiesce(stack, "stop"), { ...deps(docker), docker: spy });

    expect(docker.calls).toEqual(["stop web", "stop api", "stop db"]);
    expect(timeouts).toEqual([7, 7, 7]);
    expect(["web", "api", "db"].map((n) => docker.get(n)?.status)).toEqual(["exited", "exited", "exited"]);
  });

  it("Given a diamond, When quiesced, Then each level stops in parallel and levels one after another", async () => {
    const stack = fakeStack("app", diamond());
    const docker = fakeDocker({ containers: stack.containers });

    await quiesce(stack, planQuiesce(stack, "stop"), deps(docker));

    expect(docker.calls[0]).toBe("stop top");
    expect(docker.calls.slice(1, 3).sort()).toEqual(["stop left", "stop right"]);
    expect(docker.calls[3]).toBe("stop bottom");
    expect(docker.maxParallel.stop).toBe(2);
  });

  it("Given strategy pause, When quiesced, Then containers are paused, not stopped", async () => {
    const stack = fakeStack("app", chain());
    const docker = fakeDocker({ containers: stack.containers });

    await quiesce(stack, planQuiesce(stack, "pause"), deps(docker));

    expect(docker.calls.sort()).toEqual(["pause api", "pause db", "pause web"]);
    expect(docker.get("db")?.status).toBe("paused");
  });

  it("Given strategy down, When quiesced, Then compose down runs for the project with its files", async () => {
    const stack = fakeStack("app", [container({ name: "app-web-1", service: "web" })], { dir: "/srv/stacks/app" });
    const runner = fakeRunner(COMPOSE_OK);

    await quiesce(stack, planQuiesce(stack, "down"), deps(fakeDocker({ containers: stack.containers }), runner));

    expect(runner.commands()).toEqual([
      "docker compose --project-name app --project-directory /srv/stacks/app -f /srv/stacks/app/compose.yaml down --timeout 7",
    ]);
  });

  it("Given a container the engine refuses to stop, When quiesced, Then it throws naming the failure", async () => {
    const stack = fakeStack("app", [container({ name: "web" })]);
    const docker = fakeDocker({ containers: stack.containers, failStop: ["web"] });

    await expect(quiesce(stack, planQuiesce(stack, "stop"), deps(docker))).rejects.toThrow(/stop web failed/);
  });

  // Regression: a failed stop must not return while a sibling's stop is still in flight (allSettled per level).
  it("Given one stop of a level fails while another is slow, When quiesce throws, Then no stop is still in flight", async () => {
    const stack = fakeStack("app", [container({ name: "web" }), container({ name: "worker" })]);
    const docker = fakeDocker({ containers: stack.containers, failStop: ["web"], delayMs: { worker: 60 } });

    await expect(quiesce(stack, planQuiesce(stack, "stop"), deps(docker))).rejects.toThrow();

    // Whatever quiesce did is finished when it throws: worker's state no longer changes.
    const seen = docker.get("worker")?.status;
    await new Promise((r) => setTimeout(r, 100));
    expect(docker.get("worker")?.status).toBe(seen);
  });
});

describe("resume", () => {
  it("Given a journalled chain, When resumed, Then dependencies start first and all are reported started", async () => {
    const stack = fakeStack("app", chain());
    const docker = fakeDocker({ containers: stack.containers });
    const plan = planQuiesce(stack, "stop");
    await quiesce(stack, plan, deps(docker));
    docker.calls.length = 0;

    const report = await resume(entry(plannedActions(plan)), deps(docker));

    expect(docker.calls).toEqual(["start db", "start api", "start web"]);
    expect(report.failed).toEqual([]);
    expect(report.started.sort()).toEqual(["api", "db", "web"]);
    expect(docker.get("web")?.status).toBe("running");
  });

  it("Given a container that dies a moment after its start (seen running once, then exited), When resumed, Then it is reported failed, not started", async () => {
    const docker = fakeDocker({ containers: [container({ name: "db", status: "exited" })] });
    let looks = 0;
    const inspect = docker.inspect.bind(docker);
    docker.inspect = async (id: string) => {
      const c = await inspect(id);
      // The first look is before the start; the second (the first check after it) still sees it running.
      return c && looks++ >= 2 ? { ...c, status: "exited" as const, exitCode: 1 } : c;
    };
    const report = await resume(
      entry([{ id: "id-db", name: "db", service: "db", action: "stopped", level: 0 }]),
      deps(docker),
    );
    expect(report.started).toEqual([]);
    expect(report.failed.map((f) => [f.name, f.reason])).toEqual([["db", "is exited (exit code 1)"]]);
  });

  it("Given a journalled diamond, When resumed, Then the middle level starts in parallel", async () => {
    const stack = fakeStack(
      "app",
      diamond().map((c) => ({ ...c, status: "exited" as const })),
    );
    const docker = fakeDocker({ containers: stack.containers });
    const actions = plannedActions(planQuiesce(fakeStack("app", diamond()), "stop"));

    await resume(entry(actions), deps(docker));

    expect(docker.calls[0]).toBe("start bottom");
    expect(docker.calls.slice(1, 3).sort()).toEqual(["start left", "start right"]);
    expect(docker.calls[3]).toBe("start top");
    expect(docker.maxParallel.start).toBe(2);
  });

  it("Given paused containers in the journal, When resumed, Then they are unpaused (not started)", async () => {
    const docker = fakeDocker({ containers: [container({ name: "web", status: "paused" })] });

    const report = await resume(
      entry([{ id: "id-web", name: "web", service: "web", action: "paused", level: 0 }], { strategy: "pause" }),
      deps(docker),
    );

    expect(docker.calls).toEqual(["unpause web"]);
    expect(docker.get("web")?.status).toBe("running");
    expect(report.started).toEqual(["web"]);
  });

  it("Given a container recreated under a new id, When resumed, Then it is found by project and service label and started", async () => {
    const docker = fakeDocker({ containers: [container({ name: "app-web-1", service: "web", status: "exited" })] });
    docker.recreate("app-web-1", "new-id", "exited");

    const report = await resume(
      entry([{ id: "id-app-web-1", name: "app-web-1", service: "web", action: "stopped", level: 0 }]),
      deps(docker),
    );

    expect(docker.calls).toEqual(["start app-web-1"]);
    expect(docker.get("app-web-1")).toMatchObject({ id: "new-id", status: "running" });
    expect(report).toEqual({ started: ["app-web-1"], failed: [] });
  });

  it("Given a container that exits right after start, When resumed, Then it is reported failed with exit code and log tail", async () => {
    const docker = fakeDocker({
      containers: [
        container({ name: "db", status: "exited" }),
        container({ name: "web", status: "exited", dependsOn: ["db"] }),
      ],
      failStart: { db: { exitCode: 3, logTail: "FATAL: data directory has wrong ownership" } },
    });

    const report = await resume(
      entry([
        { id: "id-web", name: "web", service: "web", action: "stopped", level: 1 },
        { id: "id-db", name: "db", service: "db", action: "stopped", level: 0 },
      ]),
      deps(docker),
    );

    expect(report.started).toEqual(["web"]);
    expect(report.failed).toEqual([
      { name: "db", reason: "is exited (exit code 3)", logTail: "FATAL: data directory has wrong ownership" },
    ]);
  });

  it("Given a container that no longer exists, When resumed, Then it is reported failed, not thrown", async () => {
    const docker = fakeDocker({ containers: [] });

    const report = await resume(
      entry([{ id: "gone", name: "app-web-1", service: "web", action: "stopped", level: 0 }]),
      deps(docker),
    );

    expect(report.started).toEqual([]);
    expect(report.failed.map((f) => f.name)).toEqual(["app-web-1"]);
    expect(report.failed[0].reason).toMatch(/no longer exists/);
  });

  it("Given stopped containers that we did not stop, When resumed, Then they are left alone", async () => {
    const docker = fakeDocker({
      containers: [
        container({ name: "web", status: "exited" }),
        container({ name: "migrate", status: "exited" }),
        container({ name: "old", status: "exited" }),
      ],
    });

    await resume(entry([{ id: "id-web", name: "web", service: "web", action: "stopped", level: 0 }]), deps(docker));

    expect(docker.calls).toEqual(["start web"]);
    expect(docker.get("migrate")?.status).toBe("exited");
    expect(docker.get("old")?.status).toBe("exited");
  });

  it("Given a container that is already running again, When resumed, Then it is not started twice", async () => {
    const docker = fakeDocker({ containers: [container({ name: "web" })] });

    const report = await resume(
      entry([{ id: "id-web", name: "web", service: "web", action: "stopped", level: 0 }]),
      deps(docker),
    );

    expect(docker.calls).toEqual([]);
    expect(report.started).toEqual(["web"]);
  });

  it("Given a down journal entry, When resumed, Then compose up -d names exactly the journalled services", async () => {
    const runner = fakeRunner(COMPOSE_OK);
    const docker = fakeDocker({
      containers: [container({ name: "app-web-1", service: "web" }), container({ name: "app-db-1", service: "db" })],
    });

    const report = await resume(
      entry(
        [
          { id: "id-app-web-1", name: "app-web-1", service: "web", action: "stopped" },
          { id: "id-app-db-1", name: "app-db-1", service: "db", action: "stopped" },
        ],
        { strategy: "down" },
      ),
      deps(docker, runner),
    );

    expect(runner.commands()).toEqual([
      "docker compose --project-name app --project-directory /srv/stacks/app -f /srv/stacks/app/compose.yaml up -d web db",
    ]);
    expect(docker.calls).toEqual([]);
    expect(report.started.sort()).toEqual(["app-db-1", "app-web-1"]);
  });

  it("Given compose up fails for a down entry, When resumed, Then every journalled container is reported failed", async () => {
    const runner = fakeRunner([{ match: "docker compose", exitCode: 1, stderr: "no such service: web" }]);
    const docker = fakeDocker({ containers: [] });

    const report = await resume(
      entry([{ id: "x", name: "app-web-1", service: "web", action: "stopped" }], { strategy: "down" }),
      deps(docker, runner),
    );

    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({ name: "app-web-1" });
    expect(report.failed[0].reason).toContain("no such service: web");
  });
});

describe("settleStops: stops a killed run asked Docker for, finished by Docker after it died", () => {
  const T0 = Date.parse("2026-12-01T03:00:00Z");
  const journal = (writtenAt: number): JournalEntry => ({
    ...entry([{ id: "id-db", name: "db", service: "db", action: "stopped" }]),
    writtenAt: new Date(writtenAt).toISOString(),
  });
  /** inspect() answers running for the first `runningFor` calls, then exited; the clock advances 250 ms per sleep. */
  const world = (runningFor: number, startedAt: number) => {
    let calls = 0;
    let clock = T0 + 1000;
    const docker = {
      inspect: async () => ({
        ...container({ name: "db" }),
        status: calls++ < runningFor ? "running" : "exited",
        startedAt: new Date(startedAt).toISOString(),
      }),
    } as unknown as FakeDocker;
    const d = { ...deps(docker), sleep: async () => void (clock += 250) };
    return { d, now: () => clock, calls: () => calls };
  };

  it("Given the instance the dead run was stopping still up, When settled, Then it waits until Docker has stopped it", async () => {
    const w = world(3, T0 - 60_000);
    await settleStops(journal(T0), w.d, w.now);
    expect(w.calls()).toBe(4);
  });

  it("Given a container started after the journal was written (someone started it again), Then it does not wait", async () => {
    const w = world(100, T0 + 500);
    await settleStops(journal(T0), w.d, w.now);
    expect(w.calls()).toBe(1);
  });

  it("Given a container that stays up, Then it waits no longer than the stop timeout after the journal was written", async () => {
    const w = world(1_000_000, T0 - 60_000);
    await settleStops(journal(T0), w.d, w.now);
    expect(w.now()).toBeGreaterThanOrEqual(T0 + (7 + 5) * 1000);
    expect(w.now()).toBeLessThan(T0 + (7 + 5) * 1000 + 500);
  });

  it("Given a journal older than the stop timeout, Then any stop is over and it does not look at all", async () => {
    const w = world(100, T0 - 60_000);
    await settleStops(journal(T0 - 3_600_000), w.d, w.now);
    expect(w.calls()).toBe(0);
  });
});
