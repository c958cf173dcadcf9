import { describe, expect, it } from "vitest";
import { DockerCliRunner, networkCreateArgs, type NetworkSpec } from "../../../src/docker/cli";
import { ToolError } from "../../../src/errors";
import { fakeRunner } from "../../helpers/fakes";

// The argv and options of every docker CLI call the services make: the port must pass them unchanged.

const TIMEOUT = 30_000;

describe("DockerCliRunner: exec", () => {
  it("Given a dump to a file, When a script runs, Then `docker exec ID sh -c SCRIPT sh ARGS` writes stdout to the file, without -i", async () => {
    const runner = fakeRunner([{ match: "docker exec", stdout: "" }]);
    const signal = new AbortController().signal;
    await new DockerCliRunner(runner, TIMEOUT).execScript("c1", "pg_dump", ["app", "db"], {
      stdoutFile: "/tmp/x.sql",
      timeoutMs: 3_600_000,
      signal,
    });
    expect(runner.calls[0].args).toEqual(["exec", "c1", "sh", "-c", "pg_dump", "sh", "app", "db"]);
    expect(runner.calls[0].options).toEqual({ stdoutFile: "/tmp/x.sql", timeoutMs: 3_600_000, signal });
  });

  it("Given a dump to load, When a script runs with inputFile, Then it is `docker exec -i` fed from the file and stdout is not kept", async () => {
    const runner = fakeRunner([{ match: "docker exec -i", stderr: "NOTICE\n" }]);
    const r = await new DockerCliRunner(runner, TIMEOUT).execScript("c1", "psql", ["app"], {
      inputFile: "/tmp/in.sql",
      timeoutMs: 5,
    });
    expect(runner.calls[0].args).toEqual(["exec", "-i", "c1", "sh", "-c", "psql", "sh", "app"]);
    expect(runner.calls[0].options).toMatchObject({ inputFile: "/tmp/in.sql", bufferStdout: false, timeoutMs: 5 });
    expect(r.stderr).toBe("NOTICE\n");
  });

  it("Given exit codes that are answers (a probe), Then they pass through, and others still reject as a ToolError", async () => {
    const runner = fakeRunner([
      { match: "docker exec c1", exitCode: 2, stderr: "no connection", times: 1 },
      { match: "docker exec c1", exitCode: 9, stderr: "boom" },
    ]);
    const cli = new DockerCliRunner(runner, TIMEOUT);
    const o = { timeoutMs: 20_000, okExitCodes: [0, 1, 2] };
    expect((await cli.execScript("c1", "probe", [""], o)).exitCode).toBe(2);
    await expect(cli.execScript("c1", "probe", [""], o)).rejects.toBeInstanceOf(ToolError);
    expect(runner.calls[0].options.okExitCodes).toEqual([0, 1, 2]);
  });
});

describe("DockerCliRunner: engine objects", () => {
  it("Given names with blank lines, Then ps -a / network ls / volume ls give trimmed names, under the plain timeout", async () => {
    const runner = fakeRunner([
      { match: "docker ps -a --format {{.Names}}", stdout: "web\n db \n\n" },
      { match: "docker network ls --format {{.Name}}", stdout: "bridge\napp_default\n" },
      { match: "docker volume ls --format {{.Name}}", stdout: "" },
    ]);
    const cli = new DockerCliRunner(runner, TIMEOUT);
    expect(await cli.names("container")).toEqual(["web", "db"]);
    expect(await cli.names("network")).toEqual(["bridge", "app_default"]);
    expect(await cli.names("volume")).toEqual([]);
    expect(runner.calls.map((c) => c.options.timeoutMs)).toEqual([TIMEOUT, TIMEOUT, TIMEOUT]);
  });

  it("Given an id listed twice, Then ids gives it once, from ps -aq / network ls -q / image ls -q with --no-trunc", async () => {
    const runner = fakeRunner([
      { match: /^docker (ps|network ls|image ls) /, stdout: "sha256:a\nsha256:b\nsha256:a\n" },
    ]);
    const cli = new DockerCliRunner(runner, TIMEOUT);
    expect(await cli.ids("image")).toEqual(["sha256:a", "sha256:b"]);
    await cli.ids("container");
    await cli.ids("network");
    expect(runner.commands()).toEqual([
      "docker image ls -q --no-trunc",
      "docker ps -aq --no-trunc",
      "docker network ls -q --no-trunc",
    ]);
  });

  it("Given inspect output, Then it is parsed JSON; empty output is no objects", async () => {
    const runner = fakeRunner([
      { match: "docker container inspect a b", stdout: '[{"Id":"a"},{"Id":"b"}]\n' },
      { match: "docker network inspect", stdout: "  \n" },
    ]);
    const cli = new DockerCliRunner(runner, TIMEOUT);
    expect(await cli.inspect("container", ["a", "b"])).toEqual([{ Id: "a" }, { Id: "b" }]);
    expect(await cli.inspect("network", ["n"])).toEqual([]);
  });
});

describe("DockerCliRunner: images", () => {
  it("Given image inspect exits 1, Then the image is missing (not an error); 0 is there; within 60 s", async () => {
    const runner = fakeRunner([
      { match: "docker image inspect busybox:1", exitCode: 0 },
      { match: "docker image inspect nope:1", exitCode: 1, stderr: "No such image" },
    ]);
    const cli = new DockerCliRunner(runner, TIMEOUT);
    expect(await cli.hasImage("busybox:1")).toBe(true);
    expect(await cli.hasImage("nope:1")).toBe(false);
    expect(runner.calls[1].options).toMatchObject({ timeoutMs: 60_000, okExitCodes: [0, 1] });
  });

  it("Given an archive, Then save is `save -o FILE REF` and load `load -q -i FILE`, each with four times the timeout", async () => {
    const runner = fakeRunner([{ match: "docker save" }, { match: "docker load" }]);
    const cli = new DockerCliRunner(runner, TIMEOUT);
    await cli.saveImage("app:1", "/k/app_1.tar");
    await cli.loadImage("/k/image.tar");
    expect(runner.commands()).toEqual(["docker save -o /k/app_1.tar app:1", "docker load -q -i /k/image.tar"]);
    expect(runner.calls.map((c) => c.options.timeoutMs)).toEqual([4 * TIMEOUT, 4 * TIMEOUT]);
  });
});

describe("DockerCliRunner: network create", () => {
  const spec: NetworkSpec = {
    name: "app_net",
    driver: "bridge",
    internal: true,
    attachable: true,
    labels: { "com.docker.compose.project": "app" },
    options: { "com.docker.network.bridge.name": "br-app" },
    subnets: [{ subnet: "172.30.0.0/16", gateway: "172.30.0.1" }, { gateway: "10.0.0.1" }, { subnet: "fd00::/64" }],
  };

  it("Given a network as it was, Then the argv has driver, flags, labels, options, subnets (a gateway only beside its subnet), the name last", async () => {
    expect(networkCreateArgs(spec)).toEqual([
      "network",
      "create",
      "--driver",
      "bridge",
      "--internal",
      "--attachable",
      "--label",
      "com.docker.compose.project=app",
      "--opt",
      "com.docker.network.bridge.name=br-app",
      "--subnet",
      "172.30.0.0/16",
      "--gateway",
      "172.30.0.1",
      "--subnet",
      "fd00::/64",
      "app_net",
    ]);
    const runner = fakeRunner([{ match: "docker network create" }]);
    await new DockerCliRunner(runner, TIMEOUT).createNetwork({ ...spec, internal: false, subnets: [] });
    expect(runner.commands()).toEqual([
      "docker network create --driver bridge --attachable --label com.docker.compose.project=app --opt com.docker.network.bridge.name=br-app app_net",
    ]);
    expect(runner.calls[0].options.timeoutMs).toBe(TIMEOUT);
  });
});
