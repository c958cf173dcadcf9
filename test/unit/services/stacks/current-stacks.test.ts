import { afterEach, describe, expect, it } from "vitest";
import { discoverStacks } from "../../../../src/docker/discovery";
import { backupJob } from "../../../../src/usecases/backup";
import type { ServiceEvent } from "../../../../src/services/run/events";
import { container, fakeDocker, testContext, type TestContext } from "../../../helpers/fakes";

describe("a backup decides what to stop from the stacks as they are once it holds the lock", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const run = (stacks: Awaited<ReturnType<typeof discoverStacks>>, events: ServiceEvent[] = []) =>
    backupJob(
      tc.ctx,
      { stacks, trigger: "manual", parallel: 1 },
      { emit: (e) => events.push(e), signal: new AbortController().signal },
    );

  it("Given the selection saw web-1 and another job recreated it (new id) before the lock, When the backup runs, Then it stops and starts the new container and succeeds", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
    const seen = await discoverStacks(tc.docker, undefined);
    tc.docker.recreate("web-1", "id-recreated", "running");
    const report = await run(seen);
    expect(report.outcomes[0]).toMatchObject({ stack: "web", status: "succeeded" });
    expect(tc.docker.calls).toEqual(["stop web-1", "start web-1"]);
    expect(tc.docker.get("web-1")).toMatchObject({ id: "id-recreated", status: "running" });
  });

  it("Given the selection saw web-1 stopped and it runs again by the time the lock is held, When the backup runs, Then it is stopped for the backup and started again", async () => {
    tc = testContext({
      docker: fakeDocker({ containers: [container({ name: "web-1", project: "web", status: "exited" })] }),
    });
    const seen = await discoverStacks(tc.docker, undefined);
    await tc.docker.start("id-web-1");
    const report = await run(seen);
    expect(report.outcomes[0]).toMatchObject({ stack: "web", status: "succeeded" });
    expect(report.outcomes[0].downtimeMs).toBeGreaterThan(0);
    expect(tc.docker.calls).toEqual(["start web-1", "stop web-1", "start web-1"]);
    expect(tc.docker.get("web-1")?.status).toBe("running");
  });

  it("Given a labels-only stack whose containers are gone by the time the lock is held, When the backup runs, Then nothing is stopped and a warning says why", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
    const seen = await discoverStacks(tc.docker, undefined);
    // Recreated under another project: no container of "web" is left.
    tc.docker.recreate("web-1", "id-other", "running");
    tc.docker.get("web-1")!.labels["com.docker.compose.project"] = "elsewhere";
    const events: ServiceEvent[] = [];
    await run(seen, events);
    expect(tc.docker.calls).toEqual([]);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "warning",
        stack: "web",
        message: expect.stringMatching(/containers of web are gone .*without stopping anything/),
      }),
    );
  });
});
