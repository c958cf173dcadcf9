import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";

// A dockerd of the test's own (its own data root, exec root, socket, address pool, default
// bridge, no iptables), for tests that must wipe a whole "host": the shared dockerd holds other
// people's containers and volumes. DOCKER_HOST points both backup-tui (dockerode, docker,
// compose) and the test's docker calls at it.
// Never `--bridge=none`: a dockerd started so deletes the host's docker0, the shared daemon's
// default bridge (every later `docker run` there fails). It gets a bridge of its own instead.

export const DOCKERD = ["/usr/bin/dockerd", "/usr/sbin/dockerd"].find((p) => existsSync(p)) ?? "dockerd";
export const canRunPrivateDockerd = existsSync(DOCKERD) && process.getuid?.() === 0;

export interface PrivateDockerd {
  dir: string;
  /** unix:///.../docker.sock */
  host: string;
  env: { DOCKER_HOST: string };
  docker(args: string[], input?: string): string;
  /** Copies images from the shared daemon (docker save | docker load). */
  loadFromShared(images: string[]): void;
  stop(): Promise<void>;
}

export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  // Under /var/lib: the same filesystem as the shared daemon's root (overlay2 works there).
  const dir = mkdtempSync("/var/lib/btui-dockerd-");
  const sock = join(dir, "docker.sock");
  const host = `unix://${sock}`;
  const pool = `base=10.${200 + Math.floor(Math.random() * 50)}.0.0/16,size=24`;
  // Its default bridge: an interface of its own, on a subnet outside every pool.
  const bridge = `btui${Math.random().toString(16).slice(2, 8)}`;
  execFileSync("ip", ["link", "add", bridge, "type", "bridge"], { stdio: "pipe" });
  execFileSync(
    "ip",
    ["addr", "add", `10.${250 + Math.floor(Math.random() * 5)}.${Math.floor(Math.random() * 255)}.1/24`, "dev", bridge],
    { stdio: "pipe" },
  );
  execFileSync("ip", ["link", "set", bridge, "up"], { stdio: "pipe" });
  const log = openSync(join(dir, "dockerd.log"), "a");
  const child: ChildProcess = spawn(
    DOCKERD,
    [
      "--data-root",
      join(dir, "root"),
      "--exec-root",
      join(dir, "exec"),
      "--pidfile",
      join(dir, "dockerd.pid"),
      "-H",
      host,
      "--iptables=false",
      "--ip-masq=false",
      "--bridge",
      bridge,
      "--default-address-pool",
      pool,
    ],
    { stdio: ["ignore", log, log], detached: true },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const docker = (args: string[], input?: string) =>
    execFileSync("docker", args, {
      encoding: "utf8",
      input,
      env: { ...process.env, DOCKER_HOST: host },
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      docker(["version", "--format", "{{.Server.Version}}"]);
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        spawnSync("ip", ["link", "delete", bridge], { stdio: "ignore" });
        throw new Error(`private dockerd did not start (log: ${join(dir, "dockerd.log")}): ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    dir,
    host,
    env: { DOCKER_HOST: host },
    docker,
    loadFromShared(images: string[]) {
      execFileSync("sh", ["-c", `docker save "$@" | DOCKER_HOST=${host} docker load -q`, "sh", ...images], {
        env: { ...process.env, DOCKER_HOST: "" },
        stdio: "pipe",
        maxBuffer: 64 * 1024 * 1024,
      });
    },
    async stop() {
      // Every container here is the test's own: removed, then the daemon stopped and its root deleted.
      try {
        const ids = docker(["ps", "-aq"]).trim().split("\n").filter(Boolean);
        if (ids.length) docker(["rm", "-f", "-v", ...ids]);
      } catch {
        // the daemon may be gone already
      }
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      // Leftover mounts (a killed daemon) would make rm fail: unmount what lies below dir.
      try {
        execFileSync("sh", ["-c", `grep -o " ${dir}[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`], {
          stdio: "pipe",
        });
      } catch {
        // nothing mounted
      }
      rmSync(dir, { recursive: true, force: true });
      try {
        execFileSync("ip", ["link", "delete", bridge], { stdio: "pipe" });
      } catch {
        // gone already
      }
    },
  };
}
