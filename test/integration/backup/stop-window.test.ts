import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { start, waitFor } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, writeStack } from "../../helpers/stacks";

/** PID 1 that ignores SIGTERM: Docker kills it at the stop timeout. */
const DEAF = `trap '' TERM; while true; do sleep 1; done`;

describe("the stop window: a container that ignores SIGTERM", () => {
  let w: TestWorld;
  const dirs: string[] = [];
  const running = { "deaf-media-1": "running", "deaf-web-1": "running" };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    // web depends on media: web (prompt) stops first, then media hangs until killed.
    const dir = writeStack(
      w.stacksDir,
      "deaf",
      { media: { command: DEAF, volumes: ["data:/data"] }, web: { dependsOn: ["media"] } },
      ["data"],
    );
    dirs.push(dir);
    composeUp(dir);
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("a container killed at STOP_TIMEOUT is named in the run's output, its summary and the log, with what to do", () => {
    const r = cli(w, ["backup", "deaf"], { BACKUP_TUI_DOCKER_STOP_TIMEOUT: "5" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/deaf-media-1 did not stop in 5 s: killed/); // as it happens
    expect(r.stdout).toMatch(/deaf: deaf-media-1 did not stop in 5 s: killed .*STOP_TIMEOUT.*TERM/); // the summary
    expect(r.stdout).not.toMatch(/deaf-web-1 did not stop/);
    expect(readFileSync(join(w.stateDir, "backup-tui.log"), "utf8")).toMatch(
      /deaf-media-1 did not stop in 5 s: killed/,
    );
    expect(containerStates("deaf")).toEqual(running);
    const json = cli(w, ["backup", "deaf", "--json"], { BACKUP_TUI_DOCKER_STOP_TIMEOUT: "5" });
    const summary = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "summary");
    expect(summary.outcomes[0].notes).toEqual([expect.stringMatching(/^deaf-media-1 did not stop in 5 s: killed/)]);
  });

  it("SIGINT 1 s into the stop acts at once: exit 130 within ~2 s, every container that ran runs again, history says interrupted", async () => {
    const run = start(["backup", "deaf"], { ...w.env, BACKUP_TUI_DOCKER_STOP_TIMEOUT: "30" });
    let stderr = "";
    run.child.stderr!.on("data", (d) => (stderr += d));
    await waitFor(() => /deaf: stopping/.test(stderr), 60_000, "the stop phase");
    // web stops at once (under load Docker may take a few seconds); media ignores TERM for 30 s.
    await waitFor(() => containerStates("deaf")["deaf-web-1"] === "exited", 15_000, "web to stop");
    await new Promise((r) => setTimeout(r, 500));
    expect(containerStates("deaf")).toEqual({ "deaf-media-1": "running", "deaf-web-1": "exited" }); // media is still "stopping"
    const t0 = Date.now();
    run.child.kill("SIGINT");
    const res = await run.done;
    const tookMs = Date.now() - t0;
    expect(res.code, res.stderr).toBe(130);
    expect(tookMs).toBeLessThan(3000);
    expect(res.stderr).toMatch(
      /interrupted while stopping: killing deaf-media-1 \(still stopping\) and starting every container that ran/,
    );
    expect(containerStates("deaf")).toEqual(running);
    expect(cli(w, ["status"]).stdout).toContain("pending recovery: none");
    const hist = JSON.parse(cli(w, ["history", "--json"]).stdout);
    expect(hist.runs[0]).toMatchObject({ status: "interrupted", exitCode: 130 });
    console.log(`SIGINT during the stop: exited after ${tookMs} ms`);
  });
});
