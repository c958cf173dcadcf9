import { afterEach, describe, expect, it } from "vitest";
import { readInventory } from "../../../../src/services/doomsday/inventory";
import { fakeDockerCli } from "../../../helpers/fake-docker-cli";
import { fakeDocker, type TestContext, testContext } from "../../../helpers/fakes";

// The doomsday inventory is read from the engine's inspect JSON (through the docker CLI port).

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const engine = fakeDockerCli({
  objects: {
    container: [
      {
        Id: "c1",
        Name: "/app-db-1",
        Image: "sha256:img1",
        Config: {
          Image: "postgres:17",
          Labels: { "com.docker.compose.project": "app", "com.docker.compose.service": "db" },
        },
        State: { Status: "running" },
        Mounts: [
          {
            Type: "volume",
            Name: "app_pg",
            Source: "/var/lib/docker/volumes/app_pg/_data",
            Destination: "/var/lib/postgresql/data",
            RW: true,
          },
        ],
        NetworkSettings: { Networks: { app_default: {} } },
        HostConfig: { RestartPolicy: { Name: "" } },
      },
    ],
    network: [
      { Id: "n0", Name: "bridge", Scope: "local", Driver: "bridge" },
      {
        Id: "n1",
        Name: "app_default",
        Scope: "local",
        Driver: "bridge",
        Labels: { "com.docker.compose.project": "app" },
        IPAM: { Config: [{ Subnet: "172.30.0.0/16", Gateway: "" }] },
      },
      { Id: "n2", Name: "swarm_net", Scope: "swarm", Driver: "overlay" },
    ],
    image: [
      { Id: "sha256:img1", RepoTags: ["postgres:17"], RepoDigests: ["postgres@sha256:abc"], Size: 400 },
      { Id: "sha256:img2", RepoTags: ["app-web:latest"], Size: 50 },
    ],
  },
});

describe("doomsday inventory: read from the engine", () => {
  it("Given a Compose container, local and swarm networks and two images, Then the inventory keeps what a recovery recreates", async () => {
    t = testContext({ docker: fakeDocker(), dockerCli: engine });

    const inv = await readInventory(t.ctx);

    expect(inv.containers).toEqual([
      {
        name: "app-db-1",
        image: "postgres:17",
        imageId: "sha256:img1",
        status: "running",
        labels: { "com.docker.compose.project": "app", "com.docker.compose.service": "db" },
        mounts: [
          {
            type: "volume",
            name: "app_pg",
            source: "/var/lib/docker/volumes/app_pg/_data",
            destination: "/var/lib/postgresql/data",
            rw: true,
          },
        ],
        networks: ["app_default"],
        restartPolicy: undefined,
        project: "app",
        service: "db",
      },
    ]);
    // Docker's own networks and swarm-scoped ones are never recreated; an empty gateway is none.
    expect(inv.networks).toEqual([
      {
        name: "app_default",
        driver: "bridge",
        internal: false,
        attachable: false,
        labels: { "com.docker.compose.project": "app" },
        options: {},
        subnets: [{ subnet: "172.30.0.0/16", gateway: undefined }],
      },
    ]);
    // An image without a registry digest was built here: it cannot be pulled again.
    expect(inv.images.map((i) => [i.id, i.local])).toEqual([
      ["sha256:img1", false],
      ["sha256:img2", true],
    ]);
    expect(engine.calls).toEqual([
      "ids container",
      "inspect container",
      "ids network",
      "inspect network",
      "ids image",
      "inspect image",
    ]);
  });

  it("Given an empty engine, Then nothing is inspected and the inventory is empty", async () => {
    const empty = fakeDockerCli();
    t = testContext({ docker: fakeDocker(), dockerCli: empty });

    const inv = await readInventory(t.ctx);

    expect(inv).toEqual({ containers: [], networks: [], volumes: [], images: [] });
    expect(empty.calls).toEqual(["ids container", "ids network", "ids image"]);
  });
});
