import type Docker from "dockerode";
import { AppError, ExitCode } from "../errors";

export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface Mount {
  type: string;
  name?: string;
  source: string;
  destination: string;
  rw: boolean;
}

export interface ContainerInfo {
  id: string;
  name: string;
  status: ContainerStatus;
  exitCode?: number;
  health?: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  mounts: Mount[];
  restartPolicy?: string;
  startedAt?: string;
}

export interface VolumeInfo {
  name: string;
  mountpoint: string;
  driver: string;
  labels: Record<string, string>;
}

/** The Docker Engine operations backup-tui uses. DockerClient is the real one; tests may pass a fake. */
export interface DockerApi {
  version(): Promise<{ version: string; apiVersion: string; os?: string }>;
  /** All containers (running or not), optionally only those carrying a label. */
  listContainers(label?: string): Promise<ContainerInfo[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  stop(id: string, timeoutSec: number): Promise<void>;
  start(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  listVolumes(label?: string): Promise<VolumeInfo[]>;
  inspectVolume(name: string): Promise<VolumeInfo | undefined>;
  createVolume(name: string, labels?: Record<string, string>): Promise<VolumeInfo>;
  logsTail(id: string, lines: number): Promise<string>;
  /** How a container was started (its env may hold secrets: memory only, never logged). */
  runConfig(id: string): Promise<RunConfig | undefined>;
  /** Creates and starts a container with no mounts and no network (scratch work); returns its id. */
  runScratch(name: string, config: RunConfig, labels: Record<string, string>): Promise<string>;
  /** Removes a container and its anonymous volumes, running or not; gone already is fine. */
  removeContainer(id: string): Promise<void>;
}

export interface RunConfig {
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  env: string[];
  user?: string;
  workingDir?: string;
}

/** dockerode behind DockerApi; honours DOCKER_HOST (remote or rootless engines). */
export class DockerClient implements DockerApi {
  private engine?: Promise<Docker>;
  /** dockerode (and its ssh/grpc dependencies) loads on first use: commands that never touch Docker start faster. */
  constructor(private readonly opts?: Docker.DockerOptions) {}

  private docker(): Promise<Docker> {
    this.engine ??= import("dockerode").then((m) => new m.default(this.opts));
    return this.engine;
  }

  async version() {
    const v = await this.call("version", async () => (await this.docker()).version());
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os };
  }

  async listContainers(label?: string): Promise<ContainerInfo[]> {
    const list = await this.call("list containers", async () =>
      (await this.docker()).listContainers({ all: true, filters: label ? { label: [label] } : undefined }),
    );
    const out: ContainerInfo[] = [];
    for (const c of list) {
      const info = await this.inspect(c.Id);
      if (info) out.push(info);
    }
    return out;
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    try {
      const c = await (await this.docker()).getContainer(id).inspect();
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ""),
        status: c.State.Status as ContainerStatus,
        exitCode: c.State.ExitCode,
        health: c.State.Health?.Status,
        image: c.Config.Image,
        imageId: c.Image,
        labels: c.Config.Labels ?? {},
        mounts: (c.Mounts ?? []).map((m) => ({
          type: m.Type,
          name: m.Name,
          source: m.Source,
          destination: m.Destination,
          rw: m.RW,
        })),
        restartPolicy: c.HostConfig.RestartPolicy?.Name,
        startedAt: c.State.StartedAt,
      };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw dockerError(`inspect container ${id.slice(0, 12)}`, err);
    }
  }

  async stop(id: string, timeoutSec: number) {
    await this.tolerate([304], `stop ${id.slice(0, 12)}`, async () =>
      (await this.docker()).getContainer(id).stop({ t: timeoutSec }),
    );
  }
  async start(id: string) {
    await this.tolerate([304], `start ${id.slice(0, 12)}`, async () => (await this.docker()).getContainer(id).start());
  }
  async pause(id: string) {
    await this.call(`pause ${id.slice(0, 12)}`, async () => (await this.docker()).getContainer(id).pause());
  }
  async unpause(id: string) {
    await this.call(`unpause ${id.slice(0, 12)}`, async () => (await this.docker()).getContainer(id).unpause());
  }

  async listVolumes(label?: string): Promise<VolumeInfo[]> {
    const r = await this.call("list volumes", async () =>
      (await this.docker()).listVolumes({ filters: label ? { label: [label] } : undefined }),
    );
    return (r.Volumes ?? []).map(toVolume);
  }

  async inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    try {
      return toVolume(await (await this.docker()).getVolume(name).inspect());
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw dockerError(`inspect volume ${name}`, err);
    }
  }

  async createVolume(name: string, labels?: Record<string, string>): Promise<VolumeInfo> {
    await this.call(`create volume ${name}`, async () =>
      (await this.docker()).createVolume({ Name: name, Labels: labels }),
    );
    const created = await this.inspectVolume(name);
    if (!created) throw new AppError(`Docker: volume ${name} was created but cannot be inspected`, ExitCode.failed);
    return created;
  }

  async logsTail(id: string, lines: number): Promise<string> {
    try {
      const buf = (await (
        await this.docker()
      )
        .getContainer(id)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
      return demux(buf);
    } catch {
      return "";
    }
  }

  async runConfig(id: string): Promise<RunConfig | undefined> {
    try {
      const c = await (await this.docker()).getContainer(id).inspect();
      const entrypoint = c.Config.Entrypoint as string[] | string | null | undefined;
      return {
        image: c.Config.Image,
        cmd: c.Config.Cmd ?? undefined,
        entrypoint: typeof entrypoint === "string" ? [entrypoint] : (entrypoint ?? undefined),
        env: c.Config.Env ?? [],
        user: c.Config.User || undefined,
        workingDir: c.Config.WorkingDir || undefined,
      };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw dockerError(`inspect ${id.slice(0, 12)}`, err);
    }
  }

  async runScratch(name: string, config: RunConfig, labels: Record<string, string>): Promise<string> {
    return this.call(`start a scratch container from ${config.image}`, async () => {
      const c = await (await this.docker()).createContainer({
        name,
        Image: config.image,
        Cmd: config.cmd,
        Entrypoint: config.entrypoint,
        Env: config.env,
        User: config.user,
        WorkingDir: config.workingDir,
        Labels: labels,
        HostConfig: { NetworkMode: "none", AutoRemove: false },
      });
      await c.start();
      return c.id;
    });
  }

  async removeContainer(id: string): Promise<void> {
    await this.tolerate([404], `remove container ${id.slice(0, 12)}`, async () =>
      (await this.docker()).getContainer(id).remove({ force: true, v: true }),
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw dockerError(what, err);
    }
  }

  private async tolerate(codes: number[], what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!codes.includes(statusCode(err) ?? 0)) throw dockerError(what, err);
    }
  }
}

function toVolume(v: Docker.VolumeInspectInfo): VolumeInfo {
  return {
    name: v.Name,
    mountpoint: v.Mountpoint,
    driver: v.Driver,
    labels: (v.Labels as Record<string, string> | null) ?? {},
  };
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function dockerError(what: string, err: unknown): AppError {
  const e = err as NodeJS.ErrnoException & { json?: { message?: string }; reason?: string };
  if (e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "EACCES") {
    const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
    return new AppError(
      `cannot reach the Docker engine at ${where} (${e.code})`,
      ExitCode.failed,
      e.code === "EACCES"
        ? "Run as root or as a member of the docker group."
        : "Is dockerd running? Set DOCKER_HOST for a remote or rootless engine.",
    );
  }
  if (e.code === "ETIMEDOUT" || /timeout/i.test(e.message ?? "")) {
    return new AppError(
      `Docker: ${what} timed out`,
      ExitCode.failed,
      "The Docker engine did not answer in time; check `docker info` and DOCKER_TIMEOUT.",
    );
  }
  return new AppError(`Docker: ${what} failed: ${e.json?.message ?? e.reason ?? e.message}`, ExitCode.failed);
}

/** Docker multiplexes stdout/stderr with 8-byte frame headers when there is no TTY. */
function demux(buf: Buffer): string {
  if (!Buffer.isBuffer(buf)) return String(buf);
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return (parts.length ? Buffer.concat(parts) : buf).toString("utf8");
}
