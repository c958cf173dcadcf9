/**
 * fakeDockerCli: an in-memory DockerCli (src/docker/cli.ts) for unit tests. It keeps the engine's
 * names, ids, inspect JSON and images, answers exec from a function, and records every call.
 * Like the real one it rejects with a ToolError (reason "exit") outside okExitCodes.
 */
import { writeFileSync } from "node:fs";
import type { DockerCli, EngineObject, ExecOptions, InspectJson, NetworkSpec } from "../../src/docker/cli";
import { ToolError } from "../../src/errors";
import type { RunResult } from "../../src/exec/runner";

export interface ExecAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export interface FakeDockerCliOptions {
  names?: Partial<Record<"network" | "volume" | "container", string[]>>;
  /** inspect JSON by kind; ids(kind) lists their Id fields. */
  objects?: Partial<Record<EngineObject, InspectJson[]>>;
  /** Image references the engine has. */
  images?: string[];
  /** The answer to an exec (default: exit 0, no output). A stdout with stdoutFile set is written there. */
  exec?: (id: string, script: string, args: string[], o: ExecOptions) => ExecAnswer | Promise<ExecAnswer>;
}

export interface FakeDockerCli extends DockerCli {
  /** Every call in order: "exec ID", "save REF", "load FILE", "network create NAME", "inspect image", ... */
  calls: string[];
  /** Networks created, as asked. */
  networks: NetworkSpec[];
}

export function fakeDockerCli(o: FakeDockerCliOptions = {}): FakeDockerCli {
  const calls: string[] = [];
  const networks: NetworkSpec[] = [];
  const names = {
    network: [...(o.names?.network ?? [])],
    volume: [...(o.names?.volume ?? [])],
    container: [...(o.names?.container ?? [])],
  };
  const images = new Set(o.images ?? []);
  const objects = (kind: EngineObject) => o.objects?.[kind] ?? [];
  const refuse = (command: string, exitCode: number, stderr: string): never => {
    throw new ToolError(`docker failed (exit ${exitCode}): ${stderr}`, command, exitCode, stderr, "exit");
  };
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return {
    calls,
    networks,
    async execScript(id, script, args, eo): Promise<RunResult> {
      calls.push(`exec ${id}`);
      await tick();
      if (eo.signal?.aborted) throw new ToolError("docker aborted", `docker exec ${id}`, undefined, "", "aborted");
      const a = { stdout: "", stderr: "", exitCode: 0, ...(await o.exec?.(id, script, args, eo)) };
      if (!(eo.okExitCodes ?? [0]).includes(a.exitCode)) refuse(`docker exec ${id}`, a.exitCode, a.stderr);
      if (eo.stdoutFile) writeFileSync(eo.stdoutFile, a.stdout);
      return {
        exitCode: a.exitCode,
        stdout: eo.stdoutFile || eo.inputFile ? "" : a.stdout,
        stderr: a.stderr,
        durationMs: 1,
        command: `docker exec ${id} sh -c ...`,
      };
    },
    async names(kind) {
      calls.push(`names ${kind}`);
      await tick();
      return [...names[kind]];
    },
    async ids(kind) {
      calls.push(`ids ${kind}`);
      await tick();
      return objects(kind).map((x) => String(x.Id));
    },
    async inspect(kind, ids) {
      calls.push(`inspect ${kind}`);
      await tick();
      return objects(kind).filter((x) => ids.includes(String(x.Id)));
    },
    async hasImage(ref) {
      calls.push(`has image ${ref}`);
      await tick();
      return images.has(ref);
    },
    async saveImage(ref, file) {
      calls.push(`save ${ref}`);
      await tick();
      if (!images.has(ref)) refuse(`docker save ${ref}`, 1, `Error response from daemon: no such image: ${ref}`);
      writeFileSync(file, `image archive of ${ref}\n`);
    },
    async loadImage(file) {
      calls.push(`load ${file}`);
      await tick();
    },
    async createNetwork(spec) {
      calls.push(`network create ${spec.name}`);
      await tick();
      if (names.network.includes(spec.name))
        refuse("docker network create", 1, `network with name ${spec.name} already exists`);
      networks.push(structuredClone(spec));
      names.network.push(spec.name);
    },
  };
}
