import type { Runner, RunResult } from "../exec/runner";

// The docker CLI calls services make beside the Engine API (client.ts): scripts run inside
// containers with their stdin/stdout as files (database dumps), image archives, networks made
// as they were, and the inventory's raw inspect JSON. The process runner does the spawning.

/** Engine objects listed by id and inspected as JSON. */
export type EngineObject = "container" | "network" | "image";

// biome-ignore lint/suspicious/noExplicitAny: docker inspect JSON, read field by field by its users
export type InspectJson = Record<string, unknown> & { [k: string]: any };

export interface ExecOptions {
  /** The container's stdout goes to this file (binary safe, not kept in memory): a database dump. */
  stdoutFile?: string;
  /** This file is the script's stdin (`docker exec -i`); its output is then not kept (a dump loaded back). */
  inputFile?: string;
  timeoutMs: number;
  /** Exit codes that are not failures (default [0]). */
  okExitCodes?: number[];
  signal?: AbortSignal;
}

export interface NetworkSpec {
  name: string;
  driver: string;
  internal?: boolean;
  attachable?: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** The IPAM pools; a gateway counts only beside its subnet. Empty: Docker picks. */
  subnets: Array<{ subnet?: string; gateway?: string }>;
}

/** The docker CLI operations services use. DockerCliRunner is the real one; tests pass fakeDockerCli. */
export interface DockerCli {
  /** `docker exec [-i] ID sh -c SCRIPT sh ARGS...`: a script in a running container ($1... are args). */
  execScript(id: string, script: string, args: string[], o: ExecOptions): Promise<RunResult>;
  /** Names of every network, volume or container (stopped ones too). */
  names(kind: "network" | "volume" | "container", signal?: AbortSignal): Promise<string[]>;
  /** Full ids of every container, network or image, each once. */
  ids(kind: EngineObject, signal?: AbortSignal): Promise<string[]>;
  /** `docker KIND inspect IDS...` as parsed JSON (empty output: none). */
  inspect(kind: EngineObject, ids: string[], signal?: AbortSignal): Promise<InspectJson[]>;
  /** True when the engine has the image (`docker image inspect` exits 0; 1 is "no such image"). */
  hasImage(ref: string, signal?: AbortSignal): Promise<boolean>;
  /** `docker save -o FILE REF`. */
  saveImage(ref: string, file: string, signal?: AbortSignal): Promise<void>;
  /** `docker load -q -i FILE`. */
  loadImage(file: string, signal?: AbortSignal): Promise<void>;
  /** `docker network create` with the driver, flags, labels, options and IPAM of the spec. */
  createNetwork(spec: NetworkSpec, signal?: AbortSignal): Promise<void>;
}

/** The argv of `docker network create` for a spec (the name last). */
export function networkCreateArgs(n: NetworkSpec): string[] {
  const args = ["network", "create", "--driver", n.driver];
  if (n.internal) args.push("--internal");
  if (n.attachable) args.push("--attachable");
  for (const [k, v] of Object.entries(n.labels)) args.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(n.options)) args.push("--opt", `${k}=${v}`);
  for (const s of n.subnets) {
    if (s.subnet) args.push("--subnet", s.subnet);
    if (s.subnet && s.gateway) args.push("--gateway", s.gateway);
  }
  return [...args, n.name];
}

function nonEmptyLines(text: string): string[] {
  return text
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
}

const LIST_IDS: Record<EngineObject, string[]> = {
  container: ["ps", "-aq", "--no-trunc"],
  network: ["network", "ls", "-q", "--no-trunc"],
  image: ["image", "ls", "-q", "--no-trunc"],
};

/** The docker CLI through the process runner. timeoutMs bounds a plain call; image archives get four times it. */
export class DockerCliRunner implements DockerCli {
  constructor(
    private readonly runner: Runner,
    private readonly timeoutMs: number,
  ) {}

  private run(args: string[], signal?: AbortSignal, timeoutMs = this.timeoutMs) {
    return this.runner.run("docker", args, { timeoutMs, signal });
  }

  execScript(id: string, script: string, args: string[], o: ExecOptions): Promise<RunResult> {
    const input = o.inputFile ? ["-i"] : [];
    return this.runner.run("docker", ["exec", ...input, id, "sh", "-c", script, "sh", ...args], {
      ...(o.inputFile ? { inputFile: o.inputFile, bufferStdout: false } : {}),
      ...(o.stdoutFile ? { stdoutFile: o.stdoutFile } : {}),
      ...(o.okExitCodes ? { okExitCodes: o.okExitCodes } : {}),
      timeoutMs: o.timeoutMs,
      signal: o.signal,
    });
  }

  async names(kind: "network" | "volume" | "container", signal?: AbortSignal): Promise<string[]> {
    const args = kind === "container" ? ["ps", "-a", "--format", "{{.Names}}"] : [kind, "ls", "--format", "{{.Name}}"];
    return nonEmptyLines((await this.run(args, signal)).stdout);
  }

  async ids(kind: EngineObject, signal?: AbortSignal): Promise<string[]> {
    return [...new Set(nonEmptyLines((await this.run(LIST_IDS[kind], signal)).stdout))];
  }

  async inspect(kind: EngineObject, ids: string[], signal?: AbortSignal): Promise<InspectJson[]> {
    const text = (await this.run([kind, "inspect", ...ids], signal)).stdout.trim();
    return text ? (JSON.parse(text) as InspectJson[]) : [];
  }

  async hasImage(ref: string, signal?: AbortSignal): Promise<boolean> {
    const r = await this.runner.run("docker", ["image", "inspect", ref], {
      timeoutMs: 60_000,
      okExitCodes: [0, 1],
      signal,
    });
    return r.exitCode === 0;
  }

  async saveImage(ref: string, file: string, signal?: AbortSignal): Promise<void> {
    await this.run(["save", "-o", file, ref], signal, this.timeoutMs * 4);
  }

  async loadImage(file: string, signal?: AbortSignal): Promise<void> {
    await this.run(["load", "-q", "-i", file], signal, this.timeoutMs * 4);
  }

  async createNetwork(spec: NetworkSpec, signal?: AbortSignal): Promise<void> {
    await this.run(networkCreateArgs(spec), signal);
  }
}
