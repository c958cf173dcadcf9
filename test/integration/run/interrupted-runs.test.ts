import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { hangingFake, killHard, start, waitFor } from "../../helpers/processes";
import { remoteEnv } from "../../helpers/servers";
import { composeDown, composeUp, containerStates, writeStack } from "../../helpers/stacks";

const FAKE = join(ROOT, "test", "helpers", "fake-restic.sh");
/** PID 1 that ignores SIGTERM: Docker kills it at the stop timeout. */
const DEAF = `trap '' TERM; while true; do sleep 1; done`;

/**
 * Every recorded run interrupted by SIGINT/SIGTERM is "interrupted" with the signal's exit code
 * (130/143) in the history, and the process exits with it: sync, pull (stage 3) and restore, as
 * backup. A restore interrupted while it stops the stack acts at once (no STOP_TIMEOUT wait).
 */
describe("interrupted sync, pull and restore runs", () => {
  let w: TestWorld;
  let marker: string;
  let cloud: NodeJS.ProcessEnv;
  const dirs: string[] = [];
  const fakes: number[] = [];
  const running = { "intr-media-1": "running", "intr-web-1": "running" };
  const lastRun = () => JSON.parse(cli(w, ["history", "--json"]).stdout).runs[0];
  const hangOn = (what: string) => ({
    BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
    FAKE_RESTIC_HANG_ON: what,
    FAKE_RESTIC_MARKER: marker,
  });

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    marker = join(w.dir, "fake.pid");
    cloud = {
      ...remoteEnv("cloud", "local"),
      BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: "cloud",
      BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: join(w.dir, "mirror"),
    };
    restic(w, ["init", "-q"]);
    // web depends on media: web stops first, then media hangs until killed at the stop timeout.
    const dir = writeStack(
      w.stacksDir,
      "intr",
      { media: { command: DEAF, volumes: ["data:/data"] }, web: { dependsOn: ["media"] } },
      ["data"],
    );
    dirs.push(dir);
    composeUp(dir);
    const b = cli(w, ["backup", "intr"], { BACKUP_TUI_DOCKER_STOP_TIMEOUT: "1" });
    expect(b.code, b.stderr).toBe(0);
    const s = cli(w, ["sync"], cloud);
    expect(s.code, s.stderr).toBe(0);
  });
  afterEach(() => {
    for (const pid of fakes.splice(0)) killHard(pid);
    rmSync(marker, { force: true });
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("SIGINT during a sync (its restic check hangs): exit 130, history says sync interrupted 130", async () => {
    const run = start(["sync"], { ...w.env, ...cloud, ...hangOn(" check ") });
    fakes.push(await hangingFake(marker));
    run.child.kill("SIGINT");
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    expect(lastRun()).toMatchObject({ kind: "sync", status: "interrupted", exitCode: 130 });
    expect(cli(w, ["history"]).stdout).toMatch(/sync\s.*interrupted\s+130/);
  });

  it("SIGTERM during a pull (restore PATH, its restic check hangs): exit 143, history says restore interrupted 143", async () => {
    const run = start(["restore", join(w.dir, "pulled")], { ...w.env, ...cloud, ...hangOn(" check ") });
    fakes.push(await hangingFake(marker));
    run.child.kill("SIGTERM");
    const res = await run.done;
    expect(res.code, res.stderr).toBe(143);
    expect(lastRun()).toMatchObject({ kind: "restore", status: "interrupted", exitCode: 143 });
  });

  it("SIGINT during a restore's stop acts at once: exit 130 within 3 s, the stack runs again, history says restore interrupted 130", async () => {
    const run = start(["restore", "--stack", "intr", "--yes"], { ...w.env, BACKUP_TUI_DOCKER_STOP_TIMEOUT: "30" });
    let stderr = "";
    run.child.stderr!.on("data", (d) => (stderr += d));
    await waitFor(() => /intr: stopping/.test(stderr), 60_000, "the stop phase");
    // web stops at its SIGTERM (about 1 s, longer on a loaded machine); media then hangs in "stopping".
    await waitFor(() => containerStates("intr")["intr-web-1"] === "exited", 20_000, "web stopped");
    await new Promise((r) => setTimeout(r, 300));
    expect(containerStates("intr")).toEqual({ "intr-media-1": "running", "intr-web-1": "exited" }); // media is still "stopping"
    const t0 = Date.now();
    run.child.kill("SIGINT");
    const res = await run.done;
    const tookMs = Date.now() - t0;
    expect(res.code, res.stderr).toBe(130);
    expect(tookMs, res.stderr).toBeLessThan(3000);
    expect(res.stderr).toMatch(/interrupted while stopping: killing intr-media-1 \(still stopping\)/);
    expect(containerStates("intr")).toEqual(running);
    expect(lastRun()).toMatchObject({ kind: "restore", status: "interrupted", exitCode: 130 });
    console.log(`SIGINT during a restore's stop: exited after ${tookMs} ms`);
  });
});
