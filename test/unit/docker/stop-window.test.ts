import { describe, expect, it } from "vitest";
import { ComposeCli } from "../../../src/docker/compose";
import { plannedActions, planQuiesce, quiesce, resume, type LifecycleDeps } from "../../../src/docker/lifecycle";
import type { DockerApi } from "../../../src/docker/client";
import { currentOwner } from "../../../src/state/process-info";
import { COMPOSE_OK, container, fakeDocker, fakeRunner, fakeStack, type FakeDocker } from "../../helpers/fakes";

/**
 * A Docker engine where `stuck` ignores SIGTERM: its stop takes the whole timeout and ends in
 * SIGKILL (exit 137), as dockerd does; a stop with no grace (t=0) kills it at once.
 */
function termIgnoring(docker: FakeDocker, stuck: string): DockerApi & { stops: Array<[string, number]> } {
  const stops: Array<[string, number]> = [];
  const waiting = new Set<() => void>();
  return {
    ...docker,
    stops,
    stop: async (id, t) => {
      const c = docker.get(stuck);
      stops.push([(await docker.inspect(id))!.name, t]);
      if (c?.id !== id) return docker.stop(id, t);
      if (t === 0) {
        Object.assign(c, { status: "exited", exitCode: 137 });
        for (const w of waiting) w();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (Object.assign(c, { status: "exited", exitCode: 137 }), resolve()), t * 1000);
        waiting.add(() => (clearTimeout(timer), resolve()));
      });
    },
  };
}

const deps = (docker: DockerApi, stopTimeoutSec: number): LifecycleDeps => ({
  docker,
  compose: new ComposeCli(fakeRunner(COMPOSE_OK), "docker compose"),
  stopTimeoutSec,
  timeoutMs: 5000,
  settleMs: 2000,
  sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
});

describe("the stop window", () => {
  it("Given a container that ignores SIGTERM, When quiesced, Then it is reported as killed at the stop timeout (and a prompt one is not)", async () => {
    const stack = fakeStack("app", [container({ name: "media" }), container({ name: "web" })]);
    const fake = fakeDocker({ containers: stack.containers });
    const killed: Array<[string, number]> = [];

    await quiesce(stack, planQuiesce(stack, "stop"), deps(termIgnoring(fake, "media"), 0.3), {
      onKilled: (n, t) => killed.push([n, t]),
    });

    expect(killed).toEqual([["media", 0.3]]);
    expect(fake.get("media")?.status).toBe("exited");
  });

  it("Given an abort while a container ignores SIGTERM, When quiescing, Then the wait ends at once: it is killed, the next level is never stopped, and resume starts everything that ran", async () => {
    // web depends on db: web (stuck) stops first, db would be the next level.
    const stack = fakeStack("app", [container({ name: "web", dependsOn: ["db"] }), container({ name: "db" })]);
    const fake = fakeDocker({ containers: stack.containers });
    const docker = termIgnoring(fake, "web");
    const plan = planQuiesce(stack, "stop");
    const ac = new AbortController();
    const aborted: string[][] = [];
    setTimeout(() => ac.abort("SIGINT"), 100);
    const t0 = Date.now();

    await expect(
      quiesce(stack, plan, deps(docker, 30), { signal: ac.signal, onAbort: (s) => aborted.push(s) }),
    ).rejects.toThrow(/interrupted by SIGINT while stopping/);

    expect(Date.now() - t0).toBeLessThan(2000);
    expect(aborted).toEqual([["web"]]);
    expect(docker.stops).toEqual([
      ["web", 30],
      ["web", 0],
    ]);
    expect(fake.get("db")?.status).toBe("running");
    const report = await resume(
      {
        id: "1-app",
        runId: 1,
        stack: "app",
        strategy: "stop",
        project: "app",
        configFiles: [],
        envFiles: [],
        containers: plannedActions(plan),
        owner: currentOwner("h", "test"),
        writtenAt: new Date().toISOString(),
      },
      deps(docker, 30),
    );
    expect(report.failed).toEqual([]);
    expect([fake.get("web")?.status, fake.get("db")?.status]).toEqual(["running", "running"]);
  });

  it("Given an abort before the stop begins, When quiescing, Then nothing is stopped", async () => {
    const stack = fakeStack("app", [container({ name: "web" })]);
    const fake = fakeDocker({ containers: stack.containers });
    const ac = new AbortController();
    ac.abort("SIGTERM");
    await expect(quiesce(stack, planQuiesce(stack, "stop"), deps(fake, 30), { signal: ac.signal })).rejects.toThrow(
      /SIGTERM/,
    );
    expect(fake.calls).toEqual([]);
  });
});
