import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planQuiesce } from "../../../src/docker/lifecycle";
import { stackStrategy } from "../../../src/docker/labels";
import { BtrfsProvider } from "../../../src/fssnap/btrfs";
import { bindOrigin, mountOf, parseMountinfo } from "../../../src/fssnap/mountinfo";
import { namespaceLauncher, planSnapshots } from "../../../src/fssnap/plan";
import type { FsSnapshotProvider, SnapshotUnit } from "../../../src/fssnap/provider";
import {
  checkSnapshotSpace,
  decideSnapshot,
  snapshotFallback,
  snapshotPaths,
} from "../../../src/services/backup/fs-snapshot";
import type { Config } from "../../../src/config/types";
import { container, fakeRunner, fakeStack, testConfig } from "../../helpers/fakes";

const MOUNTINFO = [
  "26 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "44 26 0:39 / /mnt/pool rw,relatime shared:2 - btrfs /dev/loop0 rw,space_cache=v2,subvolid=5,subvol=/",
  "48 26 0:39 /vols/db /var/lib/docker/volumes/db/_data rw,relatime shared:3 - btrfs /dev/loop0 rw,subvolid=256,subvol=/vols/db",
  "50 26 0:40 / /mnt/with\\040space rw - tmpfs tmpfs rw",
].join("\n");

/** A provider over a fixed map: path prefix → unit; anything else is on ext4. */
function fakeProvider(
  units: Record<string, { key: string; free?: number; path?: string }>,
  nested: Record<string, string[]> = {},
): FsSnapshotProvider {
  return {
    name: "fake",
    locate(path) {
      const root = Object.keys(units)
        .sort((a, b) => b.length - a.length)
        .find((r) => path === r || path.startsWith(`${r}/`));
      if (!root) return { unsupported: `${path} is on ext4 (mounted at /), not btrfs` };
      const u = units[root];
      const unit: SnapshotUnit = {
        provider: "fake",
        key: u.key,
        path: u.path ?? `/${u.key}`,
        source: root,
        snapshotDir: `/pool/.snaps`,
        fs: {
          id: "fs1",
          source: "/dev/loop9",
          mountPoint: "/pool",
          freeBytes: u.free ?? 10 << 30,
          totalBytes: 20 << 30,
        },
      };
      return { unit, rel: path.slice(root.length + 1) };
    },
    nestedUnits: async (unit, rels) =>
      (nested[unit.key] ?? []).filter((n) => rels.some((r) => n.startsWith(`${unit.path}/${r}`.replace(/\/$/, "")))),
    create: async () => undefined,
    remove: async () => undefined,
    exists: () => false,
  };
}

describe("mountinfo", () => {
  it("parses mounts (escaped spaces, bind roots, fs options) and finds the mount holding a path", () => {
    const m = parseMountinfo(MOUNTINFO);
    expect(m).toHaveLength(4);
    expect(m[3].mountPoint).toBe("/mnt/with space");
    expect(mountOf("/var/lib/docker/volumes/db/_data/pg/base", m)).toMatchObject({
      root: "/vols/db",
      fsType: "btrfs",
      dev: "0:39",
    });
    expect(mountOf("/var/lib/docker/volumes/other/_data", m)).toMatchObject({ fsType: "ext4", mountPoint: "/" });
    expect(mountOf("/mnt/poolx", m)?.mountPoint).toBe("/");
  });

  it("finds the bind source of a volume mount (null when no other mount shows it, undefined for a plain directory)", () => {
    const m = parseMountinfo(
      MOUNTINFO + "\n61 26 0:77 /export/v /var/lib/docker/volumes/nfs/_data rw - nfs4 srv:/export rw",
    );
    expect(bindOrigin("/var/lib/docker/volumes/db/_data", m)).toBe("/mnt/pool/vols/db");
    expect(bindOrigin("/var/lib/docker/volumes/nfs/_data", m)).toBeNull();
    expect(bindOrigin("/var/lib/docker/volumes/other/_data", m)).toBeUndefined();
  });
});

describe("BtrfsProvider.locate", () => {
  const dir = mkdtempSync(join(tmpdir(), "btui-fssnap-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mounts = () =>
    parseMountinfo(
      `26 1 253:1 / / rw - ext4 /dev/vda rw\n60 26 0:50 /sub ${dir} rw - btrfs /dev/loop5 rw,subvolid=257,subvol=/sub`,
    );

  it("says why a path cannot be snapshotted: not btrfs, not root, missing, subvolume not reachable", () => {
    const p = new BtrfsProvider(fakeRunner(), { mounts, euid: () => 0 });
    expect(p.locate("/etc")).toEqual({
      unsupported: expect.stringMatching(/^\/etc is on ext4 \(mounted at \/\), not btrfs$/),
    });
    expect(p.locate(join(dir, "nope"))).toEqual({ unsupported: expect.stringMatching(/does not exist/) });
    // The mount shows the subvolume's root (inode 256 expected) but this tmp dir is not one, and nothing else reaches /sub.
    expect(p.locate(dir)).toEqual({
      unsupported: expect.stringMatching(/subvolume \/sub of \/dev\/loop5, which no mount shows whole/),
    });
    const user = new BtrfsProvider(fakeRunner(), { mounts, euid: () => 1000 });
    expect(user.locate(dir)).toEqual({ unsupported: expect.stringMatching(/need root/) });
  });
});

describe("planSnapshots", () => {
  it("takes one snapshot per unit and maps every path into it, parents first", () => {
    const p = fakeProvider({ "/pool/a": { key: "A" }, "/pool/b": { key: "B" } });
    const r = planSnapshots([p], ["/pool/a/x/deep", "/pool/b", "/pool/a/y"], "12-web stack");
    if (!("plan" in r)) throw new Error(r.reasons.join());
    expect(r.plan.snapshots.map((s) => [s.unit.key, s.dest])).toEqual([
      ["A", "/pool/.snaps/12-web_stack-0"],
      ["B", "/pool/.snaps/12-web_stack-1"],
    ]);
    expect(r.plan.binds).toEqual([
      { original: "/pool/b", copy: "/pool/.snaps/12-web_stack-1" },
      { original: "/pool/a/y", copy: "/pool/.snaps/12-web_stack-0/y" },
      { original: "/pool/a/x/deep", copy: "/pool/.snaps/12-web_stack-0/x/deep" },
    ]);
    expect(r.plan.filesystems).toHaveLength(1);
  });

  it("plans nothing when one path is not supported, and says which", () => {
    const r = planSnapshots(
      [fakeProvider({ "/pool/a": { key: "A" } })],
      ["/pool/a", "/var/lib/docker/volumes/v/_data"],
      "1",
    );
    expect(r).toEqual({ reasons: ["/var/lib/docker/volumes/v/_data is on ext4 (mounted at /), not btrfs"] });
  });

  it("runs restic in a private mount namespace: paths as argv, binds in order, the command last", () => {
    const argv = namespaceLauncher([
      { original: "/v", copy: "/s/0" },
      { original: "/v/x", copy: "/s/1/x" },
    ]);
    expect(argv.slice(0, 4)).toEqual(["unshare", "--mount", "--propagation", "private"]);
    expect(argv.slice(-5)).toEqual(["2", "/s/0", "/v", "/s/1/x", "/v/x"]);
  });
});

describe("snapshot strategy decisions", () => {
  const web = container({
    name: "web",
    mounts: [{ type: "volume", name: "v", source: "/pool/a", destination: "/data", rw: true }],
  });
  const cfg = (docker: Partial<Config["docker"]> = {}) =>
    testConfig("/tmp/none", { docker: { strategy: "snapshot", ...docker } });

  it("freezes by pause (or stop per SNAPSHOT_FREEZE); labels still win; a snapshot label elsewhere is the stack's strategy", () => {
    const stack = fakeStack("app", [
      web,
      container({ name: "cache", labels: { "backup-tui.strategy": "none" } }),
      container({ name: "db", labels: { "backup-tui.strategy": "stop" } }),
    ]);
    const q = planQuiesce(stack, "snapshot");
    expect(q.strategy).toBe("snapshot");
    expect(q.pause.map((c) => c.name)).toEqual(["web"]);
    expect(q.stopLevels.flat().map((c) => c.name)).toEqual(["db"]);
    expect(q.untouched.map((u) => u.container.name)).toEqual(["cache"]);
    expect(
      planQuiesce(stack, "snapshot", "stop")
        .stopLevels.flat()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["db", "web"]);
    const labelled = [
      container({ name: "x", labels: { "backup-tui.strategy": "snapshot" } }),
      container({ name: "y" }),
    ];
    expect(stackStrategy(labelled, "stop")).toBe("snapshot");
    expect(
      planQuiesce(fakeStack("l", labelled), "stop")
        .stopLevels.flat()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["x", "y"]);
  });

  it("falls back to SNAPSHOT_FALLBACK, else the global STOP_STRATEGY, else stop", () => {
    expect(snapshotFallback(cfg())).toBe("stop");
    expect(snapshotFallback(cfg({ strategy: "pause" }))).toBe("pause");
    expect(snapshotFallback(cfg({ snapshotFallback: "none" }))).toBe("none");
  });

  it("reads an unwritten stack directory live when it is not on btrfs, but falls back when a container writes there", async () => {
    const provider = fakeProvider({ "/pool/a": { key: "A" } });
    const ctx = { config: cfg(), runner: fakeRunner(), fsSnapshotProviders: [provider] };
    const stack = fakeStack("app", [web], { dir: "/srv/app" });
    const d = await decideSnapshot(ctx, snapshotPaths(stack, ["/srv/app", "/pool/a"]), "1-app");
    expect(d.use).toBe(true);
    expect(d.notes[0]).toMatch(/stack directory is read live/);
    const binder = container({
      name: "b",
      mounts: [{ type: "bind", source: "/srv/app/data", destination: "/d", rw: true }],
    });
    const written = fakeStack("app", [binder], { dir: "/srv/app" });
    const f = await decideSnapshot(ctx, snapshotPaths(written, ["/srv/app", "/pool/a"]), "1-app");
    expect(f).toMatchObject({
      use: false,
      fallback: "stop",
      note: expect.stringMatching(
        /^snapshot strategy not possible \(\/srv\/app is on ext4.*\): strategy stop used instead$/,
      ),
    });
  });

  it("falls back when a nested subvolume below a path would show empty in the snapshot, unless it is backed up as its own unit", async () => {
    const units = { "/pool/a": { key: "A", path: "/a" }, "/pool/a/inner": { key: "I", path: "/a/inner" } };
    const nested = { A: ["/a/inner"] };
    const ctx = (p: FsSnapshotProvider) => ({ config: cfg(), runner: fakeRunner(), fsSnapshotProviders: [p] });
    const alone = await decideSnapshot(
      ctx(fakeProvider({ "/pool/a": units["/pool/a"] }, nested)),
      { required: ["/pool/a"], optional: [] },
      "1",
    );
    expect(alone).toMatchObject({
      use: false,
      reason: "/pool/a holds the nested subvolume /a/inner, which its snapshot would show empty",
    });
    const both = await decideSnapshot(
      ctx(fakeProvider(units, nested)),
      { required: ["/pool/a", "/pool/a/inner"], optional: [] },
      "1",
    );
    expect(both.use).toBe(true);
    const beside = await decideSnapshot(
      ctx(fakeProvider({ "/pool/a": units["/pool/a"] }, nested)),
      { required: ["/pool/a/sub"], optional: [] },
      "1",
    );
    expect(beside.use).toBe(true); // the nested subvolume is not below the backed-up path
  });

  it("refuses a filesystem with less free space than SNAPSHOT_MIN_FREE, naming it", () => {
    const r = planSnapshots([fakeProvider({ "/pool/a": { key: "A", free: 5 << 20 } })], ["/pool/a"], "1");
    if (!("plan" in r)) throw new Error("unplanned");
    expect(() => checkSnapshotSpace(cfg({ snapshotMinFree: "16M" }), r.plan)).toThrow(
      /\/dev\/loop9 \(mounted at \/pool\) has 5\.0 MiB free, less than SNAPSHOT_MIN_FREE 16M; nothing was paused or stopped/,
    );
    expect(() => checkSnapshotSpace(cfg({ snapshotMinFree: "4M" }), r.plan)).not.toThrow();
  });
});
