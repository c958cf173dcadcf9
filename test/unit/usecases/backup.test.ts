import { afterEach, describe, expect, it } from "vitest";
import { discoverStacks } from "../../../src/docker/discovery";
import { BusyError } from "../../../src/errors";
import type { ServiceEvent } from "../../../src/services/run/events";
import { backupJob } from "../../../src/usecases/backup";
import { container, fakeDocker, testContext, type TestContext } from "../../helpers/fakes";
import { deadRunEntry } from "../../helpers/dead-run";

describe("the backup job", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const hooks = (events: ServiceEvent[] = []) => ({
    emit: (e: ServiceEvent) => void events.push(e),
    signal: new AbortController().signal,
  });
  const web = () =>
    (tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) }));

  it("Given two backups started together, When both run, Then the second is refused as busy and web is stopped and started once", async () => {
    web();
    const stacks = await discoverStacks(tc.docker, undefined);
    const req = { stacks, trigger: "manual" as const, parallel: 1 };
    const [a, b] = await Promise.allSettled([backupJob(tc.ctx, req, hooks()), backupJob(tc.ctx, req, hooks())]);
    expect(a.status === "fulfilled" && a.value.status).toBe("succeeded");
    expect(b.status === "rejected" && b.reason).toBeInstanceOf(BusyError);
    expect(tc.docker.calls).toEqual(["stop web-1", "start web-1"]);
  });

  it("Given a finished backup, When another starts, Then the lock was released and it runs", async () => {
    web();
    const stacks = await discoverStacks(tc.docker, undefined);
    const req = { stacks, trigger: "manual" as const, parallel: 1 };
    await backupJob(tc.ctx, req, hooks());
    expect((await backupJob(tc.ctx, req, hooks())).status).toBe("succeeded");
  });

  it("Given a dead run left a container stopped, When a backup runs, Then preflight restarts it before the backup", async () => {
    tc = testContext({
      docker: fakeDocker({
        containers: [
          container({ name: "web-1", project: "web" }),
          container({ name: "old-1", project: "old", status: "exited" }),
        ],
      }),
    });
    tc.ctx.journal.write(deadRunEntry("old", "old-1"));
    const stacks = (await discoverStacks(tc.docker, undefined)).filter((s) => s.name === "web");
    const events: ServiceEvent[] = [];
    await backupJob(tc.ctx, { stacks, trigger: "manual", parallel: 1 }, hooks(events));
    expect(tc.docker.calls[0]).toBe("start old-1");
    expect(tc.docker.calls.slice(1)).toEqual(["stop web-1", "start web-1"]);
    expect(events.findIndex((e) => e.type === "warning" && e.message.includes("restarted old-1"))).toBeLessThan(
      events.findIndex((e) => e.type === "run-start"),
    );
  });

  it("Given AUTO_INIT, When a backup runs, Then the repository is initialised before the first restic backup", async () => {
    web();
    tc.ctx.config.restic.autoInit = true;
    tc.ctx.config.restic.password = { kind: "command", command: "echo x", origin: "test" } as never;
    const stacks = await discoverStacks(tc.docker, undefined);
    await backupJob(tc.ctx, { stacks, trigger: "manual", parallel: 1 }, hooks());
    expect(tc.restic.calls[0]).toBe("init");
    expect(tc.restic.calls.some((c) => c.startsWith("backup "))).toBe(true);
  });
});
