import { afterEach, describe, expect, it } from "vitest";
import { planLines } from "../../../../src/reports/backup";

const renderPlan = (plan: Parameters<typeof planLines>[0]) => planLines(plan).join("\n");
import { OUR } from "../../../../src/docker/labels";
import { planBackup } from "../../../../src/services/backup/plan";
import {
  COMPOSE_OK,
  container,
  fakeDocker,
  fakeRunner,
  fakeStack,
  testContext,
  type TestContext,
} from "../../../helpers/fakes";

const DU = { match: "du", stdout: "1024\ttotal\n" };

describe("backup --dry-run: the dumps the run takes", () => {
  let tc: TestContext;
  afterEach(() => tc.cleanup());

  it("Given a postgres and a sqlite dump label, When planned, Then each dump is listed (service, engine, database/user or file) as taken while the service runs", async () => {
    const stack = fakeStack("app", [
      container({
        name: "app-db-1",
        service: "db",
        labels: { [OUR.dump]: "postgres", [`${OUR.dump}.database`]: "app", [`${OUR.dump}.user`]: "appuser" },
      }),
      container({
        name: "app-web-1",
        service: "web",
        labels: { [OUR.dump]: "sqlite", [`${OUR.dump}.path`]: "/data/app.db" },
      }),
    ]);
    tc = testContext({ docker: fakeDocker({ containers: stack.containers }), runner: fakeRunner([DU, ...COMPOSE_OK]) });

    const plan = await planBackup(tc.ctx, [stack], {});

    expect(plan.stacks[0].dumps).toEqual([
      { service: "db", container: "app-db-1", engine: "postgres", database: "app", user: "appuser", path: undefined },
      {
        service: "web",
        container: "app-web-1",
        engine: "sqlite",
        database: undefined,
        user: undefined,
        path: "/data/app.db",
      },
    ]);
    const text = renderPlan(plan);
    expect(text).toContain(
      "would dump first, while the service runs: postgres dump of db (app-db-1), database app as user appuser",
    );
    expect(text).toContain(
      "would dump first, while the service runs: sqlite dump of web (app-web-1), file /data/app.db",
    );
  });

  it("Given a dump the run would refuse (a stopped postgres, a bad label), When planned, Then the plan says it would fail", async () => {
    const stopped = fakeStack("a", [
      container({ name: "a-db-1", service: "db", status: "exited", labels: { [OUR.dump]: "postgres" } }),
    ]);
    const bad = fakeStack("b", [container({ name: "b-db-1", service: "db", labels: { [OUR.dump]: "oracle" } })]);
    tc = testContext({
      docker: fakeDocker({ containers: [...stopped.containers, ...bad.containers] }),
      runner: fakeRunner([DU, ...COMPOSE_OK]),
    });

    const plan = await planBackup(tc.ctx, [stopped, bad], {});

    expect(plan.stacks[0].dumps).toHaveLength(1);
    expect(plan.stacks[0].notes).toContain(
      "would fail: a-db-1 is not running, so its postgres database cannot be dumped",
    );
    expect(renderPlan(plan)).toContain("postgres dump of db (a-db-1), all databases");
    expect(
      plan.stacks[1].notes.some((n) => /^would fail: b-db-1: label backup-tui.dump="oracle" is not postgres/.test(n)),
    ).toBe(true);
  });
});
