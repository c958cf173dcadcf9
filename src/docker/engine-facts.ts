import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { EngineSituation } from "./engine-words";

/**
 * What is on this host when the Docker engine does not answer. Read the same way as
 * scripts/lib/docker-engine.sh reads them (engine_diagnose), so both name the same situation.
 */
export interface EngineFacts {
  /** DOCKER_HOST, when set. */
  dockerHost?: string;
  /** The docker context in use (DOCKER_CONTEXT, or currentContext in the CLI's config.json), when not "default". */
  context?: string;
  /** The default socket, when it exists and this user may not write to it. */
  deniedSocket?: string;
  /** A process named dockerd. */
  dockerdPid?: number;
  /** systemd is PID 1 and a docker.service unit file exists. */
  systemdUnit: boolean;
  /** A dockerd executable on PATH or in the sbin directories. */
  dockerd?: string;
}

export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];
const UNIT_DIRS = ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

/** Why no engine answers, from the facts, most specific first; the scripts act on the same order. */
export function diagnoseEngine(f: EngineFacts): EngineSituation {
  if (f.dockerHost) return { kind: "host-down", host: f.dockerHost };
  if (f.context) return { kind: "context-down", context: f.context };
  if (f.deniedSocket) return { kind: "permission-denied", socket: f.deniedSocket };
  if (f.dockerdPid !== undefined) return { kind: "dockerd-hung", pid: f.dockerdPid, host: DEFAULT_DOCKER_HOST };
  if (f.systemdUnit) return { kind: "unit-stopped" };
  if (f.dockerd) return { kind: "dockerd-stopped", dockerd: f.dockerd };
  return { kind: "no-engine" };
}

/** Reads the facts. `root` prefixes the host's own paths (/proc, /run, /var/run, the sbin and unit directories): tests only. */
export function readEngineFacts(env: NodeJS.ProcessEnv, root = ""): EngineFacts {
  const socket = `${root}/var/run/docker.sock`;
  const dockerHost = env.DOCKER_HOST || undefined;
  return {
    dockerHost,
    context: currentContext(env),
    deniedSocket: !dockerHost && exists(socket) && !writable(socket) ? socket : undefined,
    dockerdPid: dockerdPid(root),
    systemdUnit: isDir(`${root}/run/systemd/system`) && UNIT_DIRS.some((d) => exists(`${root}${d}/docker.service`)),
    dockerd: [...(env.PATH ?? "").split(":").filter((d) => d.startsWith("/")), ...SBIN_DIRS.map((d) => root + d)]
      .map((d) => `${d}/dockerd`)
      .find(executable),
  };
}

function currentContext(env: NodeJS.ProcessEnv): string | undefined {
  let name = env.DOCKER_CONTEXT;
  if (!name) {
    const file = join(env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker"), "config.json");
    name = /"currentContext"\s*:\s*"([^"]*)"/.exec(readOr(file))?.[1];
  }
  return name && name !== "default" ? name : undefined;
}

function dockerdPid(root: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync(`${root}/proc`)
      .filter((e) => /^[0-9]+$/.test(e))
      .sort();
  } catch {
    return undefined;
  }
  const pid = entries.find((e) => readOr(`${root}/proc/${e}/comm`).trim() === "dockerd");
  return pid === undefined ? undefined : Number(pid);
}

const readOr = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
};
const exists = (p: string) => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const access = (p: string, mode: number) => {
  try {
    accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
};
const writable = (p: string) => access(p, constants.W_OK);
const executable = (p: string) => {
  try {
    return statSync(p).isFile() && access(p, constants.X_OK);
  } catch {
    return false;
  }
};
