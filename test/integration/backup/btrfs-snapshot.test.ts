/**
 * The snapshot strategy on a real btrfs filesystem: a file-backed image on a loop device, a
 * subvolume, and a local-driver Docker volume bound to it (its Mountpoint is then a bind of
 * btrfs). Needs root, mkfs.btrfs and a free loop device; skipped otherwise.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildContext } from "../../../src/app";
import { loadConfig } from "../../../src/config/load";
import { discoverStacks } from "../../../src/docker/discovery";
import { BtrfsProvider } from "../../../src/fssnap/btrfs";
import type { FsSnapshotProvider, SnapshotUnit } from "../../../src/fssnap/provider";
import { runBackup } from "../../../src/services/backup/backup";
import type { ServiceEvent } from "../../../src/services/run/events";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { alive, start, waitFor } from "../../helpers/processes";
import {
  composeDown,
  containerEvents,
  containerStates,
  docker,
  IMAGE,
  volumeMountpoint,
  writeStack,
} from "../../helpers/stacks";

const MKFS = "/usr/sbin/mkfs.btrfs";
const canRun = process.getuid?.() === 0 && existsSync(MKFS);
const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
const summaryOf = (stdout: string) => jsonLines(stdout).find((e) => e.type === "summary");
const btrfsMounts = () =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.includes(" - btrfs ")).length;

function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    });
}
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};

/** Records the live file while the stack is frozen, just before the real snapshot, and the snapshot's copy just after. */
class Observer implements FsSnapshotProvider {
  readonly name = "btrfs";
  frozen?: Buffer;
  copy?: Buffer;
  constructor(
    private readonly real: BtrfsProvider,
    private readonly file: string,
  ) {}
  locate(path: string) {
    return this.real.locate(path);
  }
  nestedUnits(unit: SnapshotUnit, rels: string[], signal?: AbortSignal) {
    return this.real.nestedUnits(unit, rels, signal);
  }
  async create(unit: SnapshotUnit, dest: string, signal?: AbortSignal) {
    this.frozen = readFileSync(this.file);
    await this.real.create(unit, dest, signal);
    this.copy = readFileSync(join(dest, "log"));
  }
  remove(dest: string) {
    return this.real.remove(dest);
  }
  exists(dest: string) {
    return this.real.exists(dest);
  }
}

describe.skipIf(!canRun)("snapshot strategy on btrfs", () => {
  const id = Math.random().toString(36).slice(2, 8);
  const stack = `snapbt${id}`;
  const flatStack = `snapext${id}`;
  const volume = `btrfsvol-${id}`;
  let w: TestWorld;
  let mnt = "";
  let loop = "";
  let mountpoint = "";
  const snapDir = () => join(mnt, ".backup-tui-snapshots");
  const subvolumes = () =>
    sh("btrfs", ["subvolume", "list", "-o", mnt])
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" path ")[1]);
  const dirs: string[] = [];

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    const cfg = readFileSync(w.configFile, "utf8").replace(
      "[docker]\n",
      "[docker]\nSTOP_STRATEGY=snapshot\nSNAPSHOT_MIN_FREE=16M\n",
    );
    writeFileSync(w.configFile, cfg, { mode: 0o600 });
    restic(w, ["init", "-q"]);
    // 300 MiB image (sparse), btrfs, one subvolume, a Docker volume bound to it.
    const img = join(w.dir, "btrfs.img");
    sh("truncate", ["-s", "300M", img]);
    sh(MKFS, ["-q", img]);
    loop = sh("losetup", ["-f", "--show", img]).trim();
    mnt = join(w.dir, "mnt");
    mkdirSync(mnt);
    sh("mount", [loop, mnt]);
    sh("btrfs", ["subvolume", "create", join(mnt, "data")]);
    sh("dd", ["if=/dev/urandom", `of=${join(mnt, "data", "blob")}`, "bs=1M", "count=40", "status=none"]);
    docker([
      "volume",
      "create",
      "--driver",
      "local",
      "--opt",
      "type=none",
      "--opt",
      "o=bind",
      "--opt",
      `device=${join(mnt, "data")}`,
      volume,
    ]);
    // A service appending numbered lines without pause: the snapshot must catch one instant of it.
    const dir = join(w.stacksDir, stack);
    mkdirSync(dir);
    writeFileSync(
      join(dir, "compose.yaml"),
      [
        "services:",
        "  writer:",
        `    image: ${IMAGE}`,
        `    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$$((i+1)); echo \\"line $$i\\" >> /data/log; usleep 2000; done"]`,
        "    stop_grace_period: 2s",
        '    volumes: ["data:/data"]',
        // Never stopped: keeps the bind-driver volume mounted while the writer is stopped (Docker
        // unmounts such a volume when its last container stops: a plain stop backup would read an empty Mountpoint).
        "  keeper:",
        `    image: ${IMAGE}`,
        `    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`,
        "    stop_grace_period: 2s",
        '    labels: { backup-tui.stop: "false" }',
        '    volumes: ["data:/data"]',
        "volumes:",
        "  data:",
        "    external: true",
        `    name: ${volume}`,
      ].join("\n") + "\n",
    );
    dirs.push(dir);
  }, 120_000);

  afterAll(() => {
    for (const d of dirs) composeDown(d);
    try {
      docker(["volume", "rm", "-f", volume]);
    } catch {
      // gone
    }
    if (mnt) {
      try {
        sh("umount", ["-l", mnt]);
      } catch {
        // not mounted
      }
    }
    if (loop) {
      try {
        sh("losetup", ["-d", loop]);
      } catch {
        // detached
      }
    }
    w?.cleanup();
  }, 60_000);

  it("freezes a busy service for < 0.5 s, backs up exactly the frozen state under the volume's own path, deletes the snapshot", async () => {
    execFileSync("docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: dirs[0], stdio: "pipe" });
    mountpoint = volumeMountpoint(volume);
    await waitFor(
      () => existsSync(join(mountpoint, "log")) && readFileSync(join(mountpoint, "log")).length > 500,
      20_000,
      "the writer",
    );
    const mountsBefore = btrfsMounts();
    const config = loadConfig({
      flag: w.configFile,
      env: { ...process.env, BACKUP_TUI_STATE_DIR: w.stateDir },
      exeDir: w.dir,
      cwd: w.dir,
      uid: 0,
    });
    const ctx = buildContext(config, { globals: {}, commandLine: "test" });
    const observer = new Observer(new BtrfsProvider(ctx.runner), join(mountpoint, "log"));
    ctx.fsSnapshotProviders = [observer];
    const events: ServiceEvent[] = [];
    const t0 = Date.now();
    try {
      const stacks = (await discoverStacks(ctx.docker, config.docker.stacksDir)).filter((s) => s.name === stack);
      const report = await runBackup(
        ctx,
        { stacks, trigger: "manual", parallel: 1, signal: new AbortController().signal },
        (e) => events.push(e),
      );
      expect(report.outcomes[0].status, report.outcomes[0].error).toBe("succeeded");
      expect(events.find((e) => e.type === "stack-start")).toMatchObject({ strategy: "snapshot", twoPass: false });
      expect(report.outcomes[0].downtimeMs).toBeLessThan(500);
    } finally {
      ctx.store.close();
    }
    // Frozen: docker's own pause → unpause events.
    const ev = containerEvents(stack, t0);
    const paused = ev.find((e) => e.action === "pause");
    const unpaused = ev.find((e) => e.action === "unpause");
    expect(paused && unpaused, JSON.stringify(ev)).toBeTruthy();
    expect(unpaused!.atMs - paused!.atMs).toBeLessThan(500);
    expect(ev.map((e) => e.action)).not.toContain("die");
    // The snapshot held the frozen bytes, and the repository holds them under the live path.
    expect(observer.frozen!.length).toBeGreaterThan(500);
    expect(observer.copy!.equals(observer.frozen!)).toBe(true);
    const restored = execFileSync("restic", ["dump", "latest", join(mountpoint, "log")], {
      env: { ...process.env, RESTIC_REPOSITORY: w.repo, RESTIC_PASSWORD_FILE: w.passwordFile },
    });
    expect(restored.equals(observer.frozen!)).toBe(true);
    const live = readFileSync(join(mountpoint, "log"));
    expect(live.length).toBeGreaterThan(restored.length); // the service went on writing
    expect(live.subarray(0, restored.length).equals(restored)).toBe(true);
    // Nothing left: no snapshot subvolume, no mount in our namespace, no journal entry.
    expect(subvolumes()).toEqual(["data"]);
    expect(btrfsMounts()).toBe(mountsBefore);
    expect(readdirSync(join(w.stateDir, "journal")).filter((n) => n.endsWith(".json"))).toEqual([]);
    expect(containerStates(stack)).toEqual({ [`${stack}-keeper-1`]: "running", [`${stack}-writer-1`]: "running" });
  }, 120_000);

  it("records the same paths as a plain backup, so switching strategies keeps the parent", () => {
    const plain = cli(w, ["backup", stack, "--strategy", "stop", "--single-pass", "--json"]);
    expect(plain.code, plain.stderr).toBe(0);
    const snap = cli(w, ["backup", stack, "--json"]);
    expect(snap.code, snap.stderr).toBe(0);
    expect(jsonLines(snap.stdout).find((e) => e.type === "stack-start").strategy).toBe("snapshot");
    const list = JSON.parse(restic(w, ["snapshots", "--json", "--tag", `stack:${stack}`])) as Array<{
      id: string;
      time: string;
      paths: string[];
      parent?: string;
    }>;
    list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    expect(list).toHaveLength(3); // snapshot (test 1), stop, snapshot
    const [first, stopped, again] = list;
    expect(stopped.paths).toEqual(first.paths);
    expect(again.paths).toEqual(stopped.paths);
    expect(again.paths).toContain(mountpoint);
    expect(stopped.parent).toBe(first.id);
    expect(again.parent).toBe(stopped.id);
    expect(restic(w, ["ls", stopped.id, join(mountpoint, "blob")])).toContain(join(mountpoint, "blob"));
    // Unchanged files are recognised through the snapshot (same inodes and times): nothing new, only the log and the manifest changed.
    const o = summaryOf(snap.stdout).outcomes[0];
    expect(o.filesNew).toBe(0);
    expect(o.filesChanged).toBe(2);
  }, 120_000);

  it("SNAPSHOT_FREEZE=stop stops and starts instead of pausing, and snapshots through the top-level mount (the volume's own mount goes with its last container)", () => {
    docker(["stop", "-t", "2", `${stack}-keeper-1`]);
    try {
      const t0 = Date.now();
      const r = cli(w, ["backup", stack, "--json"], { BACKUP_TUI_DOCKER_SNAPSHOT_FREEZE: "stop" });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const actions = containerEvents(stack, t0)
        .filter((e) => e.name === `${stack}-writer-1`)
        .map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["die", "start"]));
      expect(actions).not.toContain("pause");
      const log = execFileSync("restic", ["dump", "latest", join(mountpoint, "log")], {
        env: { ...process.env, RESTIC_REPOSITORY: w.repo, RESTIC_PASSWORD_FILE: w.passwordFile },
      });
      expect(log.length).toBeGreaterThan(500);
      expect(subvolumes()).toEqual(["data"]);
    } finally {
      docker(["start", `${stack}-keeper-1`]);
    }
  }, 120_000);

  it("a plain stop backup of a bind-driver volume reads its bind source while Docker has it unmounted, under the same path", () => {
    docker(["stop", "-t", "2", `${stack}-keeper-1`]);
    try {
      const r = cli(w, ["backup", stack, "--strategy", "stop", "--single-pass", "--json"]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stderr + r.stdout).toMatch(/read through their bind source while stopped/);
      const id = summaryOf(r.stdout).outcomes[0].snapshotId as string;
      expect(restic(w, ["ls", id, join(mountpoint, "blob")])).toContain(join(mountpoint, "blob"));
      expect(btrfsMounts()).toBeGreaterThan(0);
    } finally {
      docker(["start", `${stack}-keeper-1`]);
    }
  }, 120_000);

  it("kill -9 in mid-backup: recover deletes the btrfs snapshot and leaves the service running", async () => {
    sh("dd", ["if=/dev/urandom", `of=${join(mnt, "data", "blob2")}`, "bs=1M", "count=60", "status=none"]);
    const run = start(["backup", stack], w.env);
    // Until the snapshot exists and restic reads from it (restic runs in unshare's process: our child).
    let kids: number[] = [];
    await waitFor(
      () => {
        kids = childrenOf(run.child.pid!);
        return (
          existsSync(snapDir()) && readdirSync(snapDir()).length > 0 && kids.some((k) => /restic/.test(cmdline(k)))
        );
      },
      60_000,
      "restic reading the btrfs snapshot",
    );
    // The run and its restic (its own process group) die at once, as in a crash.
    run.child.kill("SIGKILL");
    for (const k of kids) {
      try {
        process.kill(-k, "SIGKILL");
      } catch {
        process.kill(k, "SIGKILL");
      }
    }
    await run.done;
    await waitFor(() => kids.every((k) => !alive(k)), 10_000, "restic to die");
    expect(subvolumes().length).toBeGreaterThan(1); // the snapshot is left behind
    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/deleted filesystem snapshots left by a dead run/);
    expect(subvolumes()).toEqual(["data"]);
    expect(readdirSync(join(w.stateDir, "journal")).filter((n) => n.endsWith(".json"))).toEqual([]);
    expect(containerStates(stack)).toEqual({ [`${stack}-keeper-1`]: "running", [`${stack}-writer-1`]: "running" });
  }, 120_000);

  it("SIGTERM while restic reads the snapshot: restic stops, the snapshot is deleted, exit 143", async () => {
    const run = start(["backup", stack], w.env);
    await waitFor(
      () =>
        existsSync(snapDir()) &&
        readdirSync(snapDir()).length > 0 &&
        childrenOf(run.child.pid!).some((k) => /restic/.test(cmdline(k))),
      60_000,
      "restic reading the btrfs snapshot",
    );
    run.child.kill("SIGTERM");
    const done = await run.done;
    expect(done.code, done.stderr).toBe(143);
    expect(subvolumes()).toEqual(["data"]);
    expect(readdirSync(join(w.stateDir, "journal")).filter((n) => n.endsWith(".json"))).toEqual([]);
    expect(containerStates(stack)).toEqual({ [`${stack}-keeper-1`]: "running", [`${stack}-writer-1`]: "running" });
  }, 120_000);

  it("a stack on ext4 (/var/lib/docker) falls back to the configured strategy and says so; doctor tells which qualify", () => {
    const dir = writeStack(w.stacksDir, flatStack, { app: { volumes: ["data:/data"] } }, ["data"]);
    dirs.push(dir);
    execFileSync("docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: dir, stdio: "pipe" });
    const dry = cli(w, ["backup", flatStack, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/strategy stop/);
    expect(dry.stdout).toMatch(/snapshot strategy not possible \(.*not btrfs\): strategy stop used instead/);
    const t0 = Date.now();
    const r = cli(w, ["backup", flatStack]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${flatStack}: snapshot strategy not possible .*strategy stop used instead`));
    expect(containerEvents(flatStack, t0).map((e) => e.action)).toContain("die"); // stopped, as the fallback says
    expect(containerStates(flatStack)).toEqual({ [`${flatStack}-app-1`]: "running" });
    const doc = JSON.parse(cli(w, ["doctor", "--json"]).stdout) as {
      checks: Array<{ name: string; data?: { stacks: Array<{ stack: string; qualifies: boolean; reason?: string }> } }>;
    };
    const rows = doc.checks.find((c) => c.name === "snapshot strategy")!.data!.stacks;
    expect(rows.find((x) => x.stack === stack)).toMatchObject({ qualifies: true });
    expect(rows.find((x) => x.stack === flatStack)).toMatchObject({
      qualifies: false,
      reason: expect.stringMatching(/not btrfs/),
    });
  }, 120_000);

  it("a full btrfs filesystem is refused before anything is paused", () => {
    try {
      sh("dd", ["if=/dev/zero", `of=${join(mnt, "data", "fill")}`, "bs=1M", "status=none"]);
    } catch {
      // ENOSPC: full, as wanted
    }
    sh("sync", []);
    const t0 = Date.now();
    const r = cli(w, ["backup", stack, "--json"]);
    try {
      expect(r.code).not.toBe(0);
      const outcome = summaryOf(r.stdout).outcomes[0];
      expect(outcome.status).toBe("failed");
      expect(outcome.error).toMatch(
        /not enough free space for a btrfs snapshot: .* less than SNAPSHOT_MIN_FREE 16M; nothing was paused or stopped/,
      );
      expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /); // no stack trace
      expect(containerEvents(stack, t0).map((e) => e.action)).not.toContain("pause");
      expect(containerStates(stack)).toEqual({ [`${stack}-keeper-1`]: "running", [`${stack}-writer-1`]: "running" });
      expect(subvolumes()).toEqual(["data"]);
    } finally {
      sh("rm", ["-f", join(mnt, "data", "fill")]);
    }
  }, 120_000);

  it("a nested subvolume inside the volume (empty in its parent's snapshot) makes the stack fall back", () => {
    sh("btrfs", ["subvolume", "create", join(mnt, "data", "inner")]);
    try {
      const dry = cli(w, ["backup", stack, "--dry-run"]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(
        /snapshot strategy not possible \(.*holds the nested subvolume \/data\/inner, which its snapshot would show empty\): strategy stop used instead/,
      );
    } finally {
      sh("btrfs", ["subvolume", "delete", join(mnt, "data", "inner")]);
    }
  }, 60_000);
});
