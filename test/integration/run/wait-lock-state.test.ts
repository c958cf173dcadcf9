import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BIN, ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { hangingFake, killHard, start, waitFor } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, docker, writeStack } from "../../helpers/stacks";

const FAKE = join(ROOT, "test", "helpers", "fake-restic.sh");
const startedAt = (name: string) => docker(["inspect", "-f", "{{.State.StartedAt}}", name]).trim();

/** The binary in the background, its stderr readable while it runs. */
function startWatched(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (out.stdout += d));
  child.stderr.on("data", (d) => (out.stderr += d));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, out, done };
}

describe("a run waiting for the repository lock reads the stacks only once it holds it", () => {
  let w: TestWorld;
  let dir: string;
  let marker: string;
  const fakes: number[] = [];

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    marker = join(w.dir, "fake.pid");
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "queued", { app: { volumes: ["data:/data"] } }, ["data"]);
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

  it("run 2 queued while run 1 has the stack stopped: after both the stack runs, and run 2 stopped it for its own snapshot (its manifest says running)", async () => {
    // Run 1 stops the stack, then its final pass hangs (while holding the lock).
    const run1 = start(["backup", "queued"], {
      ...w.env,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
      FAKE_RESTIC_HANG_ON: "kind:stack",
      FAKE_RESTIC_MARKER: marker,
    });
    const fake = await hangingFake(marker);
    fakes.push(fake);
    expect(containerStates("queued")).toEqual({ "queued-app-1": "exited" });

    // Run 2 (real restic) is asked for now, and queues behind run 1.
    const run2 = startWatched(["backup", "queued", "--wait", "3m"], w.env);
    await waitFor(() => run2.out.stderr.includes("waiting up to"), 60_000, "run 2 to wait for the lock");
    expect(containerStates("queued")).toEqual({ "queued-app-1": "exited" });

    // Run 1's restic fails: run 1 starts the stack again and lets go of the lock.
    killHard(fake);
    const r1 = await run1.done;
    expect(r1.code, r1.stderr).toBe(1);
    expect(containerStates("queued")).toEqual({ "queued-app-1": "running" });
    const afterRun1 = startedAt("queued-app-1");

    const code2 = await run2.done;
    expect(code2, run2.out.stderr).toBe(0);
    expect(containerStates("queued")).toEqual({ "queued-app-1": "running" });
    // Run 2 saw the stack running (the truth once it held the lock): it stopped and started it.
    expect(Date.parse(startedAt("queued-app-1"))).toBeGreaterThan(Date.parse(afterRun1));
    const snaps = JSON.parse(
      restic(w, ["snapshots", "--json", "--no-lock", "--tag", "stack:queued,kind:stack"]),
    ) as Array<{ id: string; time: string }>;
    expect(snaps).toHaveLength(1); // run 1 wrote none
    const snapshotId = snaps[0].id;
    expect(run2.out.stdout).toContain(snapshotId.slice(0, 8));
    // The snapshot's manifest records the container as it was under the lock: running.
    const files = restic(w, ["ls", "--no-lock", snapshotId]).split("\n");
    const manifestPath = files.find((f) => f.endsWith("/manifest.json"))!;
    const manifest = JSON.parse(restic(w, ["dump", "--no-lock", snapshotId, manifestPath]));
    expect(manifest.containers).toEqual([expect.objectContaining({ name: "queued-app-1", status: "running" })]);
  }, 240_000);
});
