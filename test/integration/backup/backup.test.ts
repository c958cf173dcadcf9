import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, ensureBinary, makeWorld, restic, RESTIC_014, type TestWorld } from "../../helpers/env";
import {
  composeDown,
  composeUp,
  containerStates,
  docker,
  execIn,
  volumeMountpoint,
  writeStack,
} from "../../helpers/stacks";

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const snapshots = (w: TestWorld, tag?: string) =>
  JSON.parse(restic(w, ["snapshots", "--json", ...(tag ? ["--tag", tag] : [])])) as Array<{
    id: string;
    tags: string[];
    paths: string[];
    hostname: string;
  }>;

// The whole file runs on the current restic and again on 0.14, the oldest supported.
describe.each([
  ["current restic", undefined],
  ["restic 0.14", RESTIC_014],
])("backup: real stacks, %s", (_name, resticBinary) => {
  let w: TestWorld;
  const dirs: string[] = [];
  const up = (
    name: string,
    ...args: Parameters<typeof writeStack> extends [unknown, unknown, ...infer R] ? R : never
  ) => {
    const dir = writeStack(w.stacksDir, name, ...args);
    dirs.push(dir);
    composeUp(dir);
    return dir;
  };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld("", { resticBinary });
    restic(w, ["init", "-q"]);
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("given a running stack, backs up its directory and named volume into one tagged snapshot, restarts it, and the data restores byte-identical", () => {
    const dir = up(
      "webapp",
      {
        app: {
          volumes: ["data:/data"],
          command: `[ -f /data/blob ] || dd if=/dev/urandom of=/data/blob bs=1k count=512 2>/dev/null; echo hello > /data/greeting; trap 'exit 0' TERM; while true; do sleep 1; done`,
        },
      },
      ["data"],
    );
    writeFileSync(join(dir, ".env"), "SECRET_SETTING=1\n");
    const mp = volumeMountpoint("webapp_data");
    for (let i = 0; i < 50 && !existsSync(join(mp, "greeting")); i++) execIn("webapp-app-1", "sleep 0.1");

    const r = cli(w, ["backup", "webapp"]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code, r.stderr).toBe(0);
    expect(containerStates("webapp")).toEqual({ "webapp-app-1": "running" });

    const snaps = snapshots(w, "stack:webapp");
    expect(snaps).toHaveLength(1); // the hot pass snapshot was forgotten
    const s = snaps[0];
    expect(s.tags).toEqual(
      expect.arrayContaining(["backup-tui", "stack:webapp", "vol:webapp_data", "kind:stack", "trigger:manual"]),
    );
    expect(s.paths).toEqual(expect.arrayContaining([dir, mp]));
    expect(s.paths.some((p) => p.endsWith("manifest.json"))).toBe(true);

    const target = mkdtempSync(join(tmpdir(), "btui-restore-"));
    restic(w, ["restore", s.id, "--target", target]);
    expect(sha(join(target, mp, "blob"))).toBe(sha(join(mp, "blob")));
    expect(readFileSync(join(target, dir, ".env"), "utf8")).toBe("SECRET_SETTING=1\n");
    const manifest = JSON.parse(readFileSync(join(target, s.paths.find((p) => p.endsWith("manifest.json"))!), "utf8"));
    expect(manifest).toMatchObject({
      stack: "webapp",
      project: "webapp",
      volumes: [{ name: "webapp_data", mountpoint: mp }],
    });
  });

  it("given a stack the user stopped, backs it up and leaves it stopped", () => {
    const dir = up("sleepy", { app: { volumes: ["store:/store"] } }, ["store"]);
    docker(["compose", "--project-directory", dir, "stop"]);
    expect(containerStates("sleepy")).toEqual({ "sleepy-app-1": "exited" });
    const r = cli(w, ["backup", "sleepy"]);
    expect(r.code, r.stderr).toBe(0);
    expect(containerStates("sleepy")).toEqual({ "sleepy-app-1": "exited" });
    expect(snapshots(w, "stack:sleepy")).toHaveLength(1);
  });

  it("given a mixed stack, stops only the running service (dependents first) and starts only it again", () => {
    const dir = up("mixed", { db: { volumes: ["db:/db"] }, web: { dependsOn: ["db"] }, worker: {} }, ["db"]);
    docker(["compose", "--project-directory", dir, "stop", "worker"]);
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const since = new Date(Date.now() - 2000).toISOString();
    const r = cli(w, ["backup", "mixed", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(containerStates("mixed")).toEqual({
      "mixed-db-1": "running",
      "mixed-web-1": "running",
      "mixed-worker-1": "exited",
    });
    const events = docker([
      "events",
      "--since",
      since,
      "--until",
      new Date().toISOString(),
      "--filter",
      "label=com.docker.compose.project=mixed",
      "--filter",
      "type=container",
      "--format",
      "{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}",
    ]);
    const order = events
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .filter(([t, a]) => BigInt(t) >= t0 && /^(die|start)$/.test(a))
      .map(([, a, n]) => `${a} ${n}`);
    expect(order.filter((l) => l.includes("worker"))).toEqual([]);
    expect(order.indexOf("die mixed-web-1")).toBeLessThan(order.indexOf("die mixed-db-1"));
    expect(order.indexOf("start mixed-db-1")).toBeLessThan(order.indexOf("start mixed-web-1"));
    const summary = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "summary");
    expect(summary.outcomes[0]).toMatchObject({ stack: "mixed", status: "succeeded" });
    expect(summary.outcomes[0].downtimeMs).toBeGreaterThan(0);
  });

  it("a second backup uses the previous snapshot as parent and only the final snapshot remains per run", () => {
    const r = cli(w, ["backup", "webapp", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const snaps = snapshots(w, "stack:webapp");
    expect(snaps).toHaveLength(2);
    expect(snapshots(w, "kind:hot")).toHaveLength(0);
  });

  it("--dry-run prints the plan and changes nothing", () => {
    const before = snapshots(w).length;
    const r = cli(w, ["backup", "webapp", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("would stop: webapp-app-1");
    expect(r.stdout).toContain(volumeMountpoint("webapp_data"));
    expect(snapshots(w).length).toBe(before);
    expect(containerStates("webapp")).toEqual({ "webapp-app-1": "running" });
  });

  it("new stacks are added to the dirlist disabled; with nothing enabled a bare backup refuses (exit 2); enabling selects it", () => {
    const r0 = cli(w, ["backup"]);
    expect(r0.code).toBe(2);
    expect(r0.stderr).toContain("dirlist enable");
    const dirlist = readFileSync(join(w.dir, "dirlist"), "utf8");
    expect(dirlist).toMatch(/^-webapp$/m);
    expect(dirlist).toMatch(/^-sleepy$/m);
    expect(cli(w, ["dirlist", "enable", "sleepy"]).code).toBe(0);
    expect(readFileSync(join(w.dir, "dirlist"), "utf8")).toMatch(/^\+sleepy$/m);
    const r = cli(w, ["backup", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "summary");
    expect(summary.outcomes.map((o: { stack: string }) => o.stack)).toEqual(["sleepy"]);
  });

  it("an unreadable file makes the run partial (exit 3), names the file, and keeps the snapshot", () => {
    const mp = volumeMountpoint("webapp_data");
    writeFileSync(join(mp, "locked.bin"), "secret");
    chmodSync(join(mp, "locked.bin"), 0o000);
    const before = snapshots(w, "stack:webapp").length;
    // As root restic reads anything: run without the capabilities that let it.
    const r2 = withoutDacOverride(w, ["backup", "webapp"]);
    expect(r2.code, r2.stderr).toBe(3);
    expect(r2.stdout + r2.stderr).toContain("locked.bin");
    expect(snapshots(w, "stack:webapp").length).toBeGreaterThan(before);
    const hist = cli(w, ["history", "--json"]);
    expect(JSON.parse(hist.stdout).runs[0].status).toBe("partial");
    expect(containerStates("webapp")).toEqual({ "webapp-app-1": "running" });
  });

  it("retention keeps protected snapshots", () => {
    const ids = snapshots(w, "stack:webapp").map((s) => s.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    restic(w, ["tag", "--add", "protected", ids[0]]); // tagging rewrites the snapshot: find it by tag
    const protectedId = snapshots(w, "protected")[0].id;
    writeFileSync(
      w.configFile,
      readFileSync(w.configFile, "utf8").replace(
        "KEEP_LAST=3",
        "KEEP_LAST=1\nKEEP_DAILY=0\nKEEP_WEEKLY=0\nKEEP_MONTHLY=0\nKEEP_YEARLY=0\nAUTO_PRUNE=true",
      ),
    );
    const r = cli(w, ["backup", "webapp"]);
    expect([0, 3]).toContain(r.code);
    const left = snapshots(w, "stack:webapp");
    expect(left.map((s) => s.id)).toContain(protectedId);
    expect(left).toHaveLength(2); // the protected one + the newest
  });
});

function withoutDacOverride(w: TestWorld, args: string[]) {
  const r = spawnSync("setpriv", ["--bounding-set", "-dac_override,-dac_read_search", "--", BIN, ...args], {
    env: w.env,
    encoding: "utf8",
  });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}
