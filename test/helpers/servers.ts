import { execFileSync, spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { join } from "node:path";
import { stopAllClusters } from "./radosgw";

export {
  radosgw,
  type Radosgw,
  s3Bucket,
  s3LockedBucket,
  s3RemoteEnv,
  s3Repository,
  s3Request,
  s3ResticEnv,
  s3Versions,
  type S3Response,
  type S3Version,
} from "./radosgw";

/**
 * Real remote backends on loopback for the sync and remote-repository tests: `rclone serve
 * sftp|webdav|restic` here, and a real S3 server (Ceph radosgw: ./radosgw.ts, re-exported).
 * Each runs detached (own session), stdio to a log file, on free ports; its pid is recorded and
 * every server still running is stopped when the test file ends (stopAllServers in afterAll,
 * and a last resort on process exit).
 */

const running = new Set<DetachedServer>();

/** A free loopback port: bind port 0, read it back, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once("error", () => done(false));
    s.connect(port, "127.0.0.1", () => done(true));
  });
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  /** Extra environment (credentials go here, never into args). */
  env?: NodeJS.ProcessEnv;
  port: number;
  log: string;
}

/** One background server: start (again, on the same port), kill -9, stop. */
export class DetachedServer {
  pid?: number;
  constructor(readonly spec: ServerSpec) {}

  get port(): number {
    return this.spec.port;
  }

  get log(): string {
    return this.spec.log;
  }

  /** Starts it and waits until its port accepts connections. */
  async start(timeoutMs = 20_000): Promise<this> {
    if (alive(this.pid)) throw new Error(`${this.spec.name} already runs (pid ${this.pid})`);
    const fd = openSync(this.spec.log, "a");
    try {
      const child = spawn(this.spec.command, this.spec.args, {
        detached: true, // setsid: its own session and process group, killed as a group
        stdio: ["ignore", fd, fd],
        env: { ...process.env, ...this.spec.env },
      });
      child.unref();
      this.pid = child.pid;
    } finally {
      closeSync(fd);
    }
    running.add(this);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await canConnect(this.port)) return this;
      if (!alive(this.pid) || Date.now() > deadline) {
        this.kill();
        throw new Error(`${this.spec.name} did not start on 127.0.0.1:${this.port}:\n${tail(this.log)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9 of its process group: the server vanishes mid-whatever. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.pid) return;
    for (const target of [-this.pid, this.pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // gone
      }
    }
  }

  /** TERM, then KILL; waits until the pid is gone and the port is free. */
  async stop(): Promise<void> {
    if (!this.pid) return;
    this.kill("SIGTERM");
    const deadline = Date.now() + 3000;
    while (alive(this.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(this.pid)) this.kill("SIGKILL");
    await this.waitGone();
  }

  /** After kill(): waits until the process is gone and nothing answers on the port. */
  async waitGone(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((alive(this.pid) || (await canConnect(this.port))) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    running.delete(this);
  }
}

/** Stops every server this test file started (afterAll; also safe when some already stopped). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...[...running].map((s) => s.stop()), stopAllClusters()]);
}

process.once("exit", () => {
  for (const s of running) s.kill();
});

/** rclone's obscured form of a password (RCLONE_CONFIG_<NAME>_PASS wants it); read from stdin, not argv. */
export function obscure(password: string): string {
  return execFileSync("rclone", ["obscure", "-"], { input: password, encoding: "utf8" }).trim();
}

export type ServeKind = "sftp" | "webdav" | "restic";

export interface RcloneServer extends DetachedServer {
  kind: ServeKind;
  dir: string;
  user?: string;
  pass?: string;
}

/**
 * `rclone serve KIND` of dir on a free loopback port. User and password reach it through
 * RCLONE_USER/RCLONE_PASS (so no process's argv holds them). sftp: host keys in workDir, and
 * authorizedKeys (a public key file) allows key logins for restic's own sftp backend.
 */
export async function rcloneServe(
  kind: ServeKind,
  o: {
    dir: string;
    workDir: string;
    user?: string;
    pass?: string;
    authorizedKeys?: string;
    port?: number;
    /** restic only: --append-only (snapshots and packs can be added, never removed). */
    appendOnly?: boolean;
  },
): Promise<RcloneServer> {
  mkdirSync(o.dir, { recursive: true });
  mkdirSync(o.workDir, { recursive: true });
  const port = o.port ?? (await freePort());
  const args = [
    "serve",
    kind,
    "--config",
    "/dev/null",
    "--addr",
    `127.0.0.1:${port}`,
    "--cache-dir",
    join(o.workDir, "rclone-cache"),
    "-v",
  ];
  if (kind === "sftp") {
    const keys = o.authorizedKeys ?? join(o.workDir, "no-authorized-keys");
    if (!o.authorizedKeys) writeFileSync(keys, "");
    args.push("--authorized-keys", keys);
    if (!o.user && !o.authorizedKeys) args.push("--no-auth");
  }
  if (kind === "restic" && o.appendOnly) args.push("--append-only");
  args.push(o.dir);
  const env: NodeJS.ProcessEnv = {};
  if (o.user) env.RCLONE_USER = o.user;
  if (o.pass) env.RCLONE_PASS = o.pass;
  const server = new DetachedServer({
    name: `rclone serve ${kind}`,
    command: "rclone",
    args,
    env,
    port,
    log: join(o.workDir, `serve-${kind}-${port}.log`),
  });
  await server.start();
  return Object.assign(server, { kind, dir: o.dir, user: o.user, pass: o.pass });
}

/** RCLONE_CONFIG_<NAME>_* variables for a remote pointing at a served directory (or a local one). */
export function remoteEnv(name: string, server: RcloneServer | "local"): Record<string, string> {
  const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
  if (server === "local") return { [`${p}TYPE`]: "local" };
  if (server.kind === "sftp") {
    return {
      [`${p}TYPE`]: "sftp",
      [`${p}HOST`]: "127.0.0.1",
      [`${p}PORT`]: String(server.port),
      [`${p}USER`]: server.user ?? "backup",
      ...(server.pass ? { [`${p}PASS`]: obscure(server.pass) } : {}),
      [`${p}KNOWN_HOSTS_FILE`]: "none",
    };
  }
  if (server.kind === "webdav") {
    return {
      [`${p}TYPE`]: "webdav",
      [`${p}URL`]: `http://127.0.0.1:${server.port}/`,
      [`${p}VENDOR`]: "other",
      ...(server.user ? { [`${p}USER`]: server.user } : {}),
      ...(server.pass ? { [`${p}PASS`]: obscure(server.pass) } : {}),
    };
  }
  throw new Error(`no rclone remote type for serve ${server.kind}`);
}

/** An ed25519 key pair for ssh logins (restic's sftp backend runs ssh). */
export function sshKey(dir: string): { key: string; pub: string } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "id_ed25519");
  if (!existsSync(key))
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "backup-tui-test", "-f", key]);
  return { key, pub: `${key}.pub` };
}

/**
 * A directory holding an `ssh` that logs in with the given key and trusts the loopback server:
 * put it first on PATH for restic's sftp: backend (restic runs `ssh HOST -s sftp`).
 */
export function sshWrapper(dir: string, key: string): string {
  const bin = join(dir, "ssh-bin");
  mkdirSync(bin, { recursive: true });
  const ssh = join(bin, "ssh");
  writeFileSync(
    ssh,
    `#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"\n`,
  );
  chmodSync(ssh, 0o755);
  return bin;
}

/** Every file under dir (relative paths), for "nothing changed" assertions. */
export function listFiles(dir: string): string[] {
  const out = execFileSync("find", [dir, "-type", "f", "-printf", "%P %s\\n"], { encoding: "utf8" });
  return out.split("\n").filter(Boolean).sort();
}
