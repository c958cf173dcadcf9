import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VolumeInfo } from "../../../src/docker/client";
import { defaultProjectName, discoverStacks, externalStack, stackState } from "../../../src/docker/discovery";
import { COMPOSE } from "../../../src/docker/labels";
import { container, fakeDocker, plainContainer } from "../../helpers/fakes";

let root: string;
let stacksDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "discovery-"));
  stacksDir = join(root, "stacks");
  mkdirSync(stacksDir);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function stackDir(name: string, file = "compose.yaml"): string {
  const dir = join(stacksDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), "services: {}\n");
  return dir;
}

const volume = (name: string, project?: string): VolumeInfo => ({
  name,
  mountpoint: `/var/lib/docker/volumes/${name}/_data`,
  driver: "local",
  labels: project ? { [COMPOSE.project]: project, [COMPOSE.volume]: name.replace(`${project}_`, "") } : {},
});

describe("discoverStacks", () => {
  it("Given a stack directory without containers, When discovered, Then it is a dir-only stack, not found, with Compose's default project name", async () => {
    const dir = stackDir("My.Site");

    const [stack] = await discoverStacks(fakeDocker(), stacksDir);

    expect(stack).toMatchObject({
      name: "My.Site",
      project: "mysite",
      dir,
      source: "dir",
      state: "not-found",
      containers: [],
      volumes: [],
    });
    expect(stack.composeFiles).toEqual([join(dir, "compose.yaml")]);
  });

  it("Given labelled containers with no stack directory, When discovered, Then the stack is named after the project, from labels", async () => {
    const docker = fakeDocker({
      containers: [
        container({
          name: "gamma-app-1",
          project: "gamma",
          service: "app",
          workingDir: "/opt/gamma",
          labels: { [COMPOSE.configFiles]: "compose.yaml,compose.prod.yaml", [COMPOSE.envFile]: "/opt/gamma/.env" },
        }),
      ],
    });

    const stacks = await discoverStacks(docker, stacksDir);

    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toMatchObject({
      name: "gamma",
      project: "gamma",
      dir: "/opt/gamma",
      source: "labels",
      state: "running",
    });
    expect(stacks[0].composeFiles).toEqual(["/opt/gamma/compose.yaml", "/opt/gamma/compose.prod.yaml"]);
    expect(stacks[0].envFiles).toEqual(["/opt/gamma/.env"]);
  });

  it("Given a directory and containers whose project name differs from it, When discovered, Then they merge by working_dir under the directory's name", async () => {
    const dir = stackDir("blog", "compose.yml");
    const docker = fakeDocker({
      containers: [
        container({
          name: "wordpress-web-1",
          project: "wordpress",
          service: "web",
          workingDir: dir,
          labels: { [COMPOSE.configFiles]: "compose.yml" },
        }),
        container({ name: "wordpress-db-1", project: "wordpress", service: "db", workingDir: dir }),
      ],
    });

    const stacks = await discoverStacks(docker, stacksDir);

    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toMatchObject({ name: "blog", project: "wordpress", dir, source: "both", state: "running" });
    expect(stacks[0].containers.map((c) => c.name)).toEqual(["wordpress-db-1", "wordpress-web-1"]);
    expect(stacks[0].composeFiles).toEqual([join(dir, "compose.yml")]);
  });

  it("Given containers whose working_dir reaches the stack directory through a symlink, When discovered, Then they still merge", async () => {
    const dir = stackDir("app");
    symlinkSync(dir, join(root, "app-link"));
    const docker = fakeDocker({
      containers: [container({ name: "app-web-1", project: "app", workingDir: join(root, "app-link") })],
    });

    const stacks = await discoverStacks(docker, stacksDir);

    expect(stacks.map((s) => [s.name, s.source])).toEqual([["app", "both"]]);
  });

  it("Given a one-off container (compose run), When discovered, Then it is ignored", async () => {
    const docker = fakeDocker({
      containers: [
        container({ name: "gamma-app-1", project: "gamma", status: "exited" }),
        container({ name: "gamma-app-run-0123", project: "gamma", oneoff: true, status: "running" }),
        container({ name: "adhoc-run-1", project: "adhoc", oneoff: true }),
      ],
    });

    const stacks = await discoverStacks(docker, undefined);

    expect(stacks.map((s) => s.name)).toEqual(["gamma"]);
    expect(stacks[0].containers.map((c) => c.name)).toEqual(["gamma-app-1"]);
    expect(stacks[0].state).toBe("stopped");
  });

  it("Given project-labelled volumes and mounted volumes, When discovered, Then the stack holds both, and no other project's", async () => {
    const dir = stackDir("blog");
    const docker = fakeDocker({
      containers: [
        container({
          name: "wordpress-web-1",
          project: "wordpress",
          workingDir: dir,
          mounts: [
            {
              type: "volume",
              name: "shared-media",
              source: "/var/lib/docker/volumes/shared-media/_data",
              destination: "/media",
              rw: true,
            },
            { type: "bind", source: join(dir, "conf"), destination: "/conf", rw: false },
          ],
        }),
      ],
      volumes: [volume("wordpress_db", "wordpress"), volume("other_data", "other"), volume("loose")],
    });

    const [stack] = await discoverStacks(docker, stacksDir);

    expect(stack.volumes).toEqual([
      { name: "shared-media", mountpoint: "/var/lib/docker/volumes/shared-media/_data", driver: "local", labels: {} },
      volume("wordpress_db", "wordpress"),
    ]);
  });

  it("Given running, paused and exited stacks, When discovered, Then each state is right", async () => {
    const docker = fakeDocker({
      containers: [
        container({ name: "up-a-1", project: "up", status: "running" }),
        container({ name: "up-b-1", project: "up", status: "exited" }),
        container({ name: "frozen-a-1", project: "frozen", status: "paused" }),
        container({ name: "down-a-1", project: "down", status: "exited" }),
        container({ name: "down-b-1", project: "down", status: "created" }),
      ],
    });

    const stacks = await discoverStacks(docker, undefined);

    expect(stacks.map((s) => [s.name, s.state])).toEqual([
      ["down", "stopped"],
      ["frozen", "running"],
      ["up", "running"],
    ]);
  });

  it("Given directories without a compose file and loose files, When discovered, Then only compose directories count, sorted by name", async () => {
    stackDir("zeta", "docker-compose.yaml");
    stackDir("alpha", "docker-compose.yml");
    mkdirSync(join(stacksDir, "notes"));
    writeFileSync(join(stacksDir, "notes", "README.md"), "hi\n");
    writeFileSync(join(stacksDir, "compose.yaml"), "services: {}\n");

    const stacks = await discoverStacks(fakeDocker(), stacksDir);

    expect(stacks.map((s) => s.name)).toEqual(["alpha", "zeta"]);
    expect(stacks[0].composeFiles[0]).toMatch(/alpha\/docker-compose\.yml$/);
  });

  it("Given a stacks dir that does not exist, When discovered, Then only labelled stacks are found", async () => {
    const docker = fakeDocker({ containers: [container({ name: "x-1", project: "x" })] });

    const stacks = await discoverStacks(docker, join(root, "missing"));

    expect(stacks.map((s) => s.name)).toEqual(["x"]);
  });

  // Regression: a directory and the project Compose names after it are one stack, not two.
  it("Given a directory and same-named project containers from another directory, When discovered, Then stack names are unique", async () => {
    stackDir("shop");
    const docker = fakeDocker({
      containers: [container({ name: "shop-web-1", project: "shop", workingDir: "/srv/elsewhere/shop" })],
    });

    const stacks = await discoverStacks(docker, stacksDir);

    expect(stacks.map((s) => s.name)).toEqual([...new Set(stacks.map((s) => s.name))]);
  });
});

describe("discovery helpers", () => {
  it("Given directory names, When Compose's default project name is derived, Then it is lowercased and stripped", () => {
    expect(defaultProjectName("/srv/stacks/My Site.v2")).toBe("mysitev2");
    expect(defaultProjectName("/srv/stacks/nextcloud_aio-1")).toBe("nextcloud_aio-1");
  });

  it("Given container lists, When a stack state is derived, Then restarting counts as running and none as not-found", () => {
    expect(stackState([])).toBe("not-found");
    expect(stackState([plainContainer("a", "restarting")])).toBe("running");
    expect(stackState([plainContainer("a", "dead"), plainContainer("b", "exited")])).toBe("stopped");
  });

  it("Given an EXT: path, When made a stack, Then it is external with no containers", () => {
    expect(externalStack("/srv/data")).toMatchObject({
      name: "EXT:/srv/data",
      dir: "/srv/data",
      source: "external",
      containers: [],
      state: "not-found",
    });
  });
});
