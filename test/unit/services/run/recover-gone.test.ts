import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceEvent } from "../../../../src/services/run/events";
import { recoverInterrupted } from "../../../../src/services/run/preflight";
import type { JournalEntry } from "../../../../src/state/journal";
import { container, fakeDocker, testContext, type TestContext } from "../../../helpers/fakes";

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

/** A journal entry of a dead run that stopped app-web-1 and app-db-1. */
function deadEntry(): JournalEntry {
  return {
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
    owner: {
      pid: spawnSync("true").pid!,
      host: "test-host",
      startedAt: "2026-01-01T00:00:00Z",
      command: "backup-tui backup",
    },
    writtenAt: "2026-01-01T00:00:00Z",
  };
}

describe("recover: a journalled container the user removed", () => {
  it("Given a dead run's entry whose web container was removed, When recovering, Then db starts, web is reported once as gone (a warning naming it) and the entry leaves the journal", async () => {
    const tc = (t = testContext({
      docker: fakeDocker({
        containers: [container({ name: "app-db-1", project: "app", service: "db", status: "exited" })],
      }),
    }));
    tc.ctx.journal.write(deadEntry());
    const events: ServiceEvent[] = [];

    const r = await recoverInterrupted(tc.ctx, (e) => events.push(e));

    expect(r.recovered).toEqual(["app-db-1"]);
    expect(r.failed).toEqual([]);
    expect(r.gone).toEqual([{ stack: "app", name: "app-web-1" }]);
    const warnings = events.filter((e) => e.type === "warning").map((e) => (e as { message: string }).message);
    expect(warnings.filter((m) => m.includes("app-web-1"))).toEqual([
      expect.stringMatching(/^app: app-web-1, left stopped by an interrupted run, no longer exists/),
    ]);
    expect(tc.ctx.journal.list()).toEqual([]);

    // Reported once: the next recovery has nothing left to say.
    const again: ServiceEvent[] = [];
    const r2 = await recoverInterrupted(tc.ctx, (e) => again.push(e));
    expect(r2.gone).toEqual([]);
    expect(again.filter((e) => e.type === "warning")).toEqual([]);
  });

  it("Given the engine cannot be asked about the container, When recovering, Then it is not taken for gone: it stays in the journal as not running", async () => {
    const docker = fakeDocker({ containers: [] });
    docker.inspect = async () => {
      throw new Error("Cannot connect to the Docker daemon");
    };
    docker.listContainers = async () => {
      throw new Error("Cannot connect to the Docker daemon");
    };
    const tc = (t = testContext({ docker }));
    tc.ctx.journal.write(deadEntry());

    const r = await recoverInterrupted(tc.ctx, () => undefined);

    expect(r.gone).toEqual([]);
    expect(r.failed.map((f) => f.name).sort()).toEqual(["app-db-1", "app-web-1"]);
    expect(
      tc.ctx.journal
        .list()[0]
        ?.containers.map((c) => c.name)
        .sort(),
    ).toEqual(["app-db-1", "app-web-1"]);
  });
});
