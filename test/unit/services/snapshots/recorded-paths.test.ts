import { describe, expect, it } from "vitest";
import { AppError, ExitCode } from "../../../../src/errors";
import { checkInventory, type Inventory } from "../../../../src/services/doomsday/inventory";
import { checkManifest, type StackManifest } from "../../../../src/services/snapshots/manifest";

// Issue 17 item 4: paths in a snapshot's manifest.json and inventory.json are the repository's
// say, not ours. Before restic, docker or the filesystem see them: absolute, no "." or "..",
// no control characters, and files the snapshot keeps inside the snapshot's own paths.

const SNAP = {
  id: "0123456789abcdef",
  paths: ["/var/lib/backup-tui/staging/shop", "/srv/stacks/shop", "/var/lib/docker/volumes/shop_db/_data"],
};
const DUMP = "/var/lib/backup-tui/staging/shop/dumps/db.sql";

function manifest(over: Partial<StackManifest> = {}): StackManifest {
  return {
    format: 1,
    stack: "shop",
    project: "shop",
    dir: "/srv/stacks/shop",
    composeFiles: ["/srv/stacks/shop/compose.yaml"],
    envFiles: [],
    host: "h",
    createdAt: "2026-01-01T00:00:00Z",
    strategy: "stop",
    paths: ["/srv/stacks/shop"],
    excludes: [],
    volumes: [{ name: "shop_db", mountpoint: "/var/lib/docker/volumes/shop_db/_data", driver: "local", labels: {} }],
    containers: [],
    tools: {},
    dumps: [
      {
        service: "db",
        container: "shop-db-1",
        engine: "postgres",
        image: "postgres",
        file: DUMP,
        bytes: 1,
        sha256: "0".repeat(64),
        ms: 1,
      },
    ],
    ...over,
  };
}
const withDump = (file: string) => manifest({ dumps: [{ ...manifest().dumps![0], file }] });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error("not refused");
};

describe("checkManifest", () => {
  it("Given the manifest backup-tui writes, When checked, Then it passes unchanged", () => {
    const m = manifest();
    expect(checkManifest(m, SNAP)).toBe(m);
  });

  it.each([
    ["an option", "--password-command=touch /tmp/pwned", "it is not absolute"],
    [
      "a climb out",
      "/var/lib/backup-tui/staging/shop/dumps/../../../../../etc/shadow",
      'it holds a "." or ".." component',
    ],
    ["a newline", "/var/lib/backup-tui/staging/shop/dumps/db.sql\n--x", "it holds a control character"],
    ["a relative path", "dumps/db.sql", "it is not absolute"],
    ["a file outside the snapshot", "/etc/shadow", "it is not inside the snapshot's paths"],
    [
      "a sibling with the same prefix",
      "/var/lib/backup-tui/staging/shopping/db.sql",
      "it is not inside the snapshot's paths",
    ],
  ])(
    "Given a dump file that is %s, When checked, Then an AppError (exit 1) names the field, the value and why",
    (_what, file, why) => {
      const err = refusal(() => checkManifest(withDump(file), SNAP));

      expect(err).toBeInstanceOf(AppError);
      expect(err.exitCode).toBe(ExitCode.failed);
      expect(err.message).toContain("snapshot 01234567's manifest.json names unsafe paths");
      expect(err.message).toContain(`dumps[0].file ${JSON.stringify(file)}: ${why}`);
      expect(err.hint).toContain("pick another one");
    },
  );

  it.each([
    ["dir", manifest({ dir: "-C/tmp" }), 'dir "-C/tmp"'],
    ["compose file", manifest({ composeFiles: ["/srv/../etc/compose.yaml"] }), "composeFiles[0]"],
    [
      "volume mountpoint",
      manifest({ volumes: [{ name: "shop_db", mountpoint: "../x", driver: "local", labels: {} }] }),
      "volumes[0].mountpoint",
    ],
    [
      "volume name",
      manifest({ volumes: [{ name: "--help", mountpoint: "/v", driver: "local", labels: {} }] }),
      "volumes[0].name",
    ],
  ])("Given an unsafe %s, When checked, Then it is refused naming it", (_what, m, field) => {
    expect(refusal(() => checkManifest(m, SNAP)).message).toContain(field);
  });
});

function inventory(over: Partial<Inventory> = {}): Inventory {
  const staging = "/var/lib/backup-tui/staging/_doomsday";
  return {
    format: 1,
    host: "h",
    createdAt: "2026-01-01T00:00:00Z",
    docker: { version: "29" },
    containers: [],
    networks: [
      {
        name: "shop_default",
        driver: "bridge",
        internal: false,
        attachable: false,
        labels: {},
        options: {},
        subnets: [],
      },
    ],
    volumes: [
      {
        name: "shop_db",
        driver: "local",
        mountpoint: "/var/lib/docker/volumes/shop_db/_data",
        labels: {},
        in: "stack:shop",
      },
    ],
    images: [],
    stacks: [
      {
        name: "shop",
        project: "shop",
        dir: "/srv/stacks/shop",
        composeFiles: ["/srv/stacks/shop/compose.yaml"],
        envFiles: [],
        running: true,
        dependsOn: [],
      },
    ],
    files: { "daemon.json": "/etc/docker/daemon.json", portainer: `${staging}/portainer-backup.tar.gz` },
    savedImages: [{ ref: "local/app:1", file: `${staging}/images/local_app_1.tar`, bytes: 1 }],
    ...over,
  };
}
const DOOM = {
  id: "fedcba9876543210",
  paths: [
    "/etc/docker/daemon.json",
    "/var/lib/backup-tui/staging/_doomsday/portainer-backup.tar.gz",
    "/var/lib/backup-tui/staging/_doomsday/images",
  ],
};

describe("checkInventory", () => {
  it("Given the inventory backup-tui writes, When checked, Then it passes unchanged", () => {
    const inv = inventory();
    expect(checkInventory(inv, DOOM)).toBe(inv);
  });

  it.each([
    [
      "a kept file that is an option",
      inventory({ files: { "daemon.json": "--password-command=touch /tmp/pwned" } }),
      'files.daemon.json "--password-command=touch /tmp/pwned": it is not absolute',
    ],
    [
      "a kept file outside the snapshot",
      inventory({ files: { portainer: "/root/.ssh/id_rsa" } }),
      'files.portainer "/root/.ssh/id_rsa": it is not inside the snapshot\'s paths',
    ],
    [
      "a saved image file that climbs",
      inventory({
        savedImages: [
          { ref: "a:1", file: "/var/lib/backup-tui/staging/_doomsday/images/../../../../../etc/shadow", bytes: 1 },
        ],
      }),
      "savedImages[0].file",
    ],
    [
      "an image ref that is an option",
      inventory({
        savedImages: [{ ref: "--format={{.}}", file: "/var/lib/backup-tui/staging/_doomsday/images/a.tar", bytes: 1 }],
      }),
      "savedImages[0].ref",
    ],
    [
      "a network name that is an option",
      inventory({
        networks: [
          {
            name: "--internal",
            driver: "bridge",
            internal: false,
            attachable: false,
            labels: {},
            options: {},
            subnets: [],
          },
        ],
      }),
      "networks[0].name",
    ],
    [
      "a stack dir with ..",
      inventory({
        stacks: [
          {
            name: "shop",
            project: "shop",
            dir: "/srv/stacks/../../etc",
            composeFiles: [],
            envFiles: [],
            running: true,
            dependsOn: [],
          },
        ],
      }),
      "stacks[0].dir",
    ],
  ])("Given %s, When checked, Then it is refused naming it", (_what, inv, says) => {
    const err = refusal(() => checkInventory(inv, DOOM));

    expect(err.message).toContain("snapshot fedcba98's inventory.json names unsafe paths");
    expect(err.message).toContain(says);
  });
});
