import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { start, waitFor, type Running } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";

// Things that happen to a stack while it is being backed up: Compose recreating or someone
// starting its containers inside the stop window, and volumes holding a FIFO, a socket and a
// file that grows during the backup. Whatever happens: no hang, only what ran before runs after.

describe("live faults: the stack changes under the backup", () => {
  let w: TestWorld;
  let hold: string;
  let marker: string;
  let release: string;
  const dirs: string[] = [];
  const background: Running[] = [];
  let socket: Server | undefined;

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    // Holds the final (stopped) pass of a backup until the test releases it.
    hold = join(w.dir, "hold-restic.sh");
    marker = join(w.dir, "hold.pid");
    release = join(w.dir, "hold.release");
    writeFileSync(
      hold,
      `#!/bin/sh\ncase " $* " in *kind:stack*) if [ ! -e "${release}" ]; then echo $$ > "${marker}"; while [ ! -e "${release}" ]; do sleep 0.1; done; fi;; esac\nexec restic "$@"\n`,
    );
    chmodSync(hold, 0o755);
  });
  afterEach(async () => {
    writeFileSync(release, "");
    for (const r of background.splice(0)) await r.done;
    rmSync(release, { force: true });
    rmSync(marker, { force: true });
  });
  afterAll(() => {
    socket?.close();
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("compose recreates a service inside the stop window: the backup finishes, the recreated service runs, the stopped one stays stopped, nothing is pending", async () => {
    const dir = writeStack(w.stacksDir, "recreate", { web: { volumes: ["data:/data"] }, worker: {} }, ["data"]);
    dirs.push(dir);
    composeUp(dir);
    docker(["stop", "recreate-worker-1"]);
    const run = start(["backup", "recreate", "--single-pass"], {
      ...w.env,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: hold,
    });
    background.push(run);
    await waitFor(() => existsSync(marker), 60_000, "the final pass to start");
    expect(containerStates("recreate")["recreate-web-1"]).toBe("exited");
    execFileSync("docker", ["compose", "up", "-d", "--force-recreate", "--no-deps", "web"], {
      cwd: dir,
      stdio: "pipe",
    });
    writeFileSync(release, "");
    const end = await run.done;
    expect(end.code, end.stdout + end.stderr).toBe(0); // containers are started by name: the recreated one is the service

    expect(containerStates("recreate")).toEqual({ "recreate-web-1": "running", "recreate-worker-1": "exited" });
    const status = cli(w, ["status"]);
    expect(status.stdout).toContain("pending recovery: none");
    expect(status.code).toBe(0);
  });

  it("someone starts the stopped container inside the stop window: the backup finishes (exit 0), it runs once, the other stays stopped", async () => {
    const dir = writeStack(w.stacksDir, "started", { web: { volumes: ["data:/data"] }, worker: {} }, ["data"]);
    dirs.push(dir);
    composeUp(dir);
    docker(["stop", "started-worker-1"]);
    const id = docker(["inspect", "-f", "{{.Id}}", "started-web-1"]).trim();
    const run = start(["backup", "started", "--single-pass"], {
      ...w.env,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: hold,
    });
    background.push(run);
    await waitFor(() => existsSync(marker), 60_000, "the final pass to start");
    docker(["start", "started-web-1"]);
    writeFileSync(release, "");
    const end = await run.done;
    expect(end.code, end.stderr).toBe(0);
    expect(containerStates("started")).toEqual({ "started-web-1": "running", "started-worker-1": "exited" });
    expect(docker(["inspect", "-f", "{{.Id}}", "started-web-1"]).trim()).toBe(id);
  });

  it("a FIFO, a socket and a file growing during a hot backup: no hang, the snapshot lists them, the stack keeps running", async () => {
    const dir = writeStack(
      w.stacksDir,
      "oddfiles",
      {
        app: {
          volumes: ["data:/data"],
          command:
            "trap 'exit 0' TERM; i=0; while true; do echo line $i >> /data/growing.log; i=$((i+1)); sleep 0.01; done",
        },
      },
      ["data"],
    );
    dirs.push(dir);
    writeFileSync(
      join(dir, "compose.yaml"),
      execFileSync("sed", ["s/\\$/$$/g", join(dir, "compose.yaml")], { encoding: "utf8" }),
    );
    composeUp(dir);
    const vol = volumeMountpoint("oddfiles_data");
    execFileSync("mkfifo", [join(vol, "pipe")]);
    socket = createServer();
    await new Promise<void>((r) => socket!.listen(join(vol, "app.sock"), () => r()));
    await waitFor(() => existsSync(join(vol, "growing.log")), 20_000, "the writer");
    const t0 = Date.now();
    const r = cli(w, ["backup", "oddfiles", "--strategy", "none"]);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect([0, 3]).toContain(r.code);
    const snap = JSON.parse(
      restic(w, ["snapshots", "--json", "--latest", "1", "--tag", "stack:oddfiles,kind:stack"]),
    )[0];
    const listing = restic(w, ["ls", "--long", snap.id]);
    expect(listing).toMatch(/^p.*\/pipe$/m);
    expect(listing).toMatch(/growing\.log$/m);
    expect(containerStates("oddfiles")).toEqual({ "oddfiles-app-1": "running" });
  });
});
