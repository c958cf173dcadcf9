import { afterEach, describe, expect, it } from "vitest";
import { type AppError, ExitCode } from "../../../../src/errors";
import { waitForDatabase } from "../../../../src/services/disaster/start";
import type { InventoryStack } from "../../../../src/services/doomsday/inventory";
import { fakeDockerCli } from "../../../helpers/fake-docker-cli";
import { container, fakeDocker, type TestContext, testContext } from "../../../helpers/fakes";

// A recovered database gets its dump only once it answers: the probe runs in the container through the docker CLI port.

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const stack = { name: "app", project: "app" } as InventoryStack;

describe("disaster restore: waiting for a database", () => {
  it("Given postgres refuses twice then answers, When waited for, Then it returns after three probes in the running db container", async () => {
    let probes = 0;
    const dockerCli = fakeDockerCli({
      exec: () => (++probes < 3 ? { exitCode: 2, stderr: "could not connect to server\n" } : {}),
    });
    t = testContext({
      docker: fakeDocker({ containers: [container({ name: "app-db-1", service: "db" })] }),
      dockerCli,
    });

    await waitForDatabase(t.ctx, stack, "db", "postgres", 10_000, new AbortController().signal);

    expect(dockerCli.calls).toEqual(["exec id-app-db-1", "exec id-app-db-1", "exec id-app-db-1"]);
  });

  it("Given the database never answers, When the time is up, Then it fails as service-down with the probe's last line", async () => {
    t = testContext({
      docker: fakeDocker({ containers: [container({ name: "app-db-1", service: "db" })] }),
      dockerCli: fakeDockerCli({
        exec: () => ({ exitCode: 1, stderr: "starting up\nthe database system is starting up\n" }),
      }),
    });

    const err = (await waitForDatabase(t.ctx, stack, "db", "mariadb", 300, new AbortController().signal).catch(
      (e) => e,
    )) as AppError;

    expect(err.exitCode).toBe(ExitCode.serviceDown);
    expect(err.message).toContain("db's mariadb does not accept connections");
    expect(err.message).toContain("(the database system is starting up)");
  });

  it("Given a probe exit code outside the answers (the exec itself failed), Then it counts as not ready, not as a crash", async () => {
    let probes = 0;
    t = testContext({
      docker: fakeDocker({ containers: [container({ name: "app-db-1", service: "db" })] }),
      dockerCli: fakeDockerCli({ exec: () => (++probes === 1 ? { exitCode: 137, stderr: "killed" } : {}) }),
    });

    await waitForDatabase(t.ctx, stack, "db", "postgres", 10_000, new AbortController().signal);

    expect(probes).toBe(2);
  });
});
