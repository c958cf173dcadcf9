import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import {
  composeDown,
  containerEvents,
  containerStates,
  docker,
  IMAGE,
  LOOP,
  volumeMountpoint,
  writeStack,
} from "../../helpers/stacks";
import { execFileSync } from "node:child_process";

const summaryOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .find((e) => e.type === "summary");
const ids = (project: string) =>
  docker(["ps", "-q", "--no-trunc", "--filter", `label=com.docker.compose.project=${project}`])
    .trim()
    .split("\n")
    .sort();

describe("strategies, labels and single-volume backups", () => {
  let w: TestWorld;
  const dirs: string[] = [];
  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("down reuses the project's own name, compose file and env file, and brings exactly its services back", () => {
    // A project name, compose file name and env file that all differ from Compose's defaults.
    const dir = join(w.stacksDir, "downstack");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "docker-compose.yml"),
      [
        "services:",
        "  app:",
        `    image: ${IMAGE}`,
        '    environment: ["GREETING=${GREETING}"]',
        `    command: ["sh", "-c", ${JSON.stringify(`echo "$$GREETING" > /data/greeting; ${LOOP}`)}]`,
        '    volumes: ["data:/data"]',
        "volumes:",
        "  data: {}",
      ].join("\n") + "\n",
    );
    writeFileSync(join(dir, "custom.env"), "GREETING=from-env-file\n");
    execFileSync("docker", ["compose", "-p", "customname", "--env-file", join(dir, "custom.env"), "up", "-d"], {
      cwd: dir,
      stdio: "pipe",
    });
    const before = ids("customname");
    const t0 = Date.now();
    const r = cli(w, ["backup", "downstack", "--strategy", "down", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(containerStates("customname")).toEqual({ "customname-app-1": "running" });
    expect(ids("customname")).not.toEqual(before); // recreated by up -d
    expect(docker(["exec", "customname-app-1", "cat", "/data/greeting"]).trim()).toBe("from-env-file");
    expect(containerEvents("customname", t0).map((e) => e.action)).toEqual(
      expect.arrayContaining(["destroy", "create", "start"]),
    );
    expect(summaryOf(r.stdout).outcomes[0].downtimeMs).toBeGreaterThan(0);
    execFileSync("docker", ["compose", "-p", "customname", "down", "-v", "-t", "1"], { cwd: dir, stdio: "pipe" });
  });

  it("pause freezes instead of stopping: pause/unpause events, no die, same container ids", () => {
    const dir = writeStack(w.stacksDir, "pausey", { app: { volumes: ["data:/data"] } }, ["data"]);
    dirs.push(dir);
    execFileSync("docker", ["compose", "up", "-d"], { cwd: dir, stdio: "pipe" });
    const before = ids("pausey");
    const t0 = Date.now();
    const r = cli(w, ["backup", "pausey", "--strategy", "pause"]);
    expect(r.code, r.stderr).toBe(0);
    const actions = containerEvents("pausey", t0).map((e) => e.action);
    expect(actions).toContain("pause");
    expect(actions).toContain("unpause");
    expect(actions).not.toContain("die");
    expect(ids("pausey")).toEqual(before);
    expect(containerStates("pausey")).toEqual({ "pausey-app-1": "running" });
  });

  it("backup-tui.stop=false keeps that container running while the others stop", () => {
    const dir = writeStack(w.stacksDir, "labelled", { keep: { labels: { "backup-tui.stop": "false" } }, other: {} });
    dirs.push(dir);
    execFileSync("docker", ["compose", "up", "-d"], { cwd: dir, stdio: "pipe" });
    const t0 = Date.now();
    const r = cli(w, ["backup", "labelled"]);
    expect(r.code, r.stderr).toBe(0);
    const died = containerEvents("labelled", t0)
      .filter((e) => e.action === "die")
      .map((e) => e.name);
    expect(died).toEqual(["labelled-other-1"]);
    expect(containerStates("labelled")).toEqual({ "labelled-keep-1": "running", "labelled-other-1": "running" });
  });

  it("--volume backs up one volume, stopping only the containers that mount it", () => {
    const dir = writeStack(
      w.stacksDir,
      "twovol",
      { db: { volumes: ["dbdata:/db"] }, web: { volumes: ["webdata:/www"] } },
      ["dbdata", "webdata"],
    );
    dirs.push(dir);
    execFileSync("docker", ["compose", "up", "-d"], { cwd: dir, stdio: "pipe" });
    const t0 = Date.now();
    const r = cli(w, ["backup", "--volume", "twovol_dbdata"]);
    expect(r.code, r.stderr).toBe(0);
    const died = containerEvents("twovol", t0)
      .filter((e) => e.action === "die")
      .map((e) => e.name);
    expect(died).toEqual(["twovol-db-1"]);
    expect(containerStates("twovol")).toEqual({ "twovol-db-1": "running", "twovol-web-1": "running" });
    const snaps = JSON.parse(restic(w, ["snapshots", "--json", "--tag", "kind:volume"]));
    expect(snaps).toHaveLength(1);
    expect(snaps[0].tags).toEqual(expect.arrayContaining(["vol:twovol_dbdata", "stack:twovol", "kind:volume"]));
    expect(snaps[0].paths).toContain(volumeMountpoint("twovol_dbdata"));
    expect(snaps[0].paths).not.toContain(volumeMountpoint("twovol_webdata"));
    expect(cli(w, ["backup", "--volume", "no_such_volume"]).code).toBe(2);
  });

  it("--parallel 2 backs up two stacks at once and both come back", () => {
    const t0 = Date.now();
    const r = cli(w, ["backup", "pausey", "labelled", "--parallel", "2", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const outcomes = summaryOf(r.stdout).outcomes;
    expect(outcomes.map((o: { stack: string }) => o.stack).sort()).toEqual(["labelled", "pausey"]);
    expect(containerStates("pausey")).toEqual({ "pausey-app-1": "running" });
    expect(containerStates("labelled")).toEqual({ "labelled-keep-1": "running", "labelled-other-1": "running" });
    expect(containerEvents("pausey", t0).some((e) => e.action === "die")).toBe(true);
    expect(cli(w, ["backup", "pausey", "--parallel", "0"]).code).toBe(2);
  });
});
