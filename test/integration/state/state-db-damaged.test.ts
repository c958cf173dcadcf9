import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { hangingFake, killHard, start } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, writeStack } from "../../helpers/stacks";

const FAKE = join(ROOT, "test", "helpers", "fake-restic.sh");

/** No "internal error", no stack frame: only messages meant for a person. */
function expectNoTrace(stderr: string): void {
  expect(stderr).not.toContain("internal error");
  expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe("a damaged or unopenable state database: recovery still restarts what a crashed run stopped", () => {
  let w: TestWorld;
  let marker: string;
  let dir: string;
  const fakes: number[] = [];
  const db = () => join(w.stateDir, "state.db");

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    marker = join(w.dir, "fake.pid");
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "dbcrash", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
  });
  afterEach(() => {
    for (const pid of fakes.splice(0)) killHard(pid);
    rmSync(marker, { force: true });
  });
  afterAll(() => {
    composeDown(dir);
    w.cleanup();
  });

  /** A backup killed -9 while its container is stopped: the stop journal says so, the container stays exited. */
  async function crashWhileStopped(): Promise<void> {
    const run = start(["backup", "dbcrash"], {
      ...w.env,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
      FAKE_RESTIC_HANG_ON: "kind:stack",
      FAKE_RESTIC_MARKER: marker,
    });
    fakes.push(await hangingFake(marker));
    expect(containerStates("dbcrash")).toEqual({ "dbcrash-app-1": "exited" });
    run.child.kill("SIGKILL");
    await run.done;
    expect(readdirSync(join(w.stateDir, "journal")).filter((n) => n.endsWith(".json")).length).toBe(1);
  }

  it("Given garbage in state.db after a crashed run, When status and recover run, Then it is set aside once (state.db.corrupt-<time>), status says the recovery is pending (4) and recover starts the container (0)", async () => {
    await crashWhileStopped();
    const garbage = randomBytes(16_384);
    writeFileSync(db(), garbage);
    // The WAL and its index belong to the database that is gone: a damaged disk loses them too.
    rmSync(`${db()}-wal`, { force: true });
    rmSync(`${db()}-shm`, { force: true });

    const status = cli(w, ["status"]);
    expect(status.code, status.stderr).toBe(4);
    expect(status.stdout).toContain("PENDING RECOVERY");
    expectNoTrace(status.stderr);
    const aside = readdirSync(w.stateDir).filter((n) => /^state\.db\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/.test(n));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(w.stateDir, aside[0])).equals(garbage)).toBe(true);
    expect(status.stderr).toContain(
      `the state database ${db()} was damaged (file is not a database): it was set aside as ${join(w.stateDir, aside[0])} and a fresh one created`,
    );

    const recover = cli(w, ["recover"]);
    expect(recover.code, recover.stderr).toBe(0);
    expect(recover.stdout).toMatch(/restarted: .*dbcrash-app-1/);
    expect(recover.stderr).not.toContain("damaged"); // said once
    expectNoTrace(recover.stderr);
    expect(containerStates("dbcrash")).toEqual({ "dbcrash-app-1": "running" });
    expect(readdirSync(w.stateDir).filter((n) => n.startsWith("state.db.corrupt-"))).toEqual(aside);
    expect(cli(w, ["status"]).code).toBe(0);
  });

  it("Given a state.db that cannot be opened at all (a directory) after a crashed run, When recover runs, Then it restarts the container from the journal alone (0); status fails with a clear message (1)", async () => {
    await crashWhileStopped();
    for (const ext of ["", "-wal", "-shm"]) rmSync(db() + ext, { force: true });
    mkdirSync(db());
    try {
      const recover = cli(w, ["recover"]);
      expect(recover.code, recover.stderr).toBe(0);
      expect(recover.stdout).toMatch(/restarted: .*dbcrash-app-1/);
      expect(recover.stderr).toContain(`the state database ${db()} cannot be opened`);
      expect(recover.stderr).toContain("recovering from the stop journal alone");
      expectNoTrace(recover.stderr);
      expect(containerStates("dbcrash")).toEqual({ "dbcrash-app-1": "running" });

      const status = cli(w, ["status"]);
      expect(status.code).toBe(1);
      expect(status.stderr).toContain(
        `error: the state database ${db()} cannot be opened: unable to open database file`,
      );
      expect(status.stderr).toContain("backup-tui recover` still works without it");
      expectNoTrace(status.stderr);
    } finally {
      rmSync(db(), { recursive: true, force: true });
    }
  });
});
