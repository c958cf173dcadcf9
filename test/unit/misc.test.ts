import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OUR } from "../../src/docker/labels";
import { parseDuration } from "../../src/duration";
import { AppError, ExitCode, UsageError } from "../../src/errors";
import { format, table } from "../../src/output";
import { applyRetention, assertPolicyKeepsSomething, policyFor } from "../../src/services/retention/retention";
import { stackPaths } from "../../src/services/stacks/paths";
import { container, fakeRestic, fakeStack, snapshot, testContext, type TestContext } from "../helpers/fakes";

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["7d", 604_800_000],
    ["2w", 1_209_600_000],
    ["500ms", 500],
    ["1.5h", 5_400_000],
    ["45", 45_000],
    [" 30s ", 30_000],
  ])("Given %j, When parsed, Then it is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["abc", "", "10x", "1h 30m", "-5s", "h", "5m!"])("Given %j, When parsed, Then it is a usage error with a hint", (text) => {
    const err = (() => {
      try {
        parseDuration(text, "--wait");
      } catch (e) {
        return e;
      }
    })();

    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as UsageError).message).toBe(`invalid --wait: ${JSON.stringify(text)}`);
    expect((err as UsageError).hint).toMatch(/30s, 10m/);
  });
});

describe("table", () => {
  it("Given rows of different widths, When rendered, Then columns align to the widest cell and lines have no trailing spaces", () => {
    const out = table(["STACK", "STATE", "LAST"], [
      ["app", "running", "2h ago"],
      ["nextcloud-aio", "stopped", ""],
    ]);

    expect(out.split("\n")).toEqual([
      "STACK          STATE    LAST",
      "app            running  2h ago",
      "nextcloud-aio  stopped",
    ]);
  });

  it("Given no rows, When rendered, Then only the header is printed", () => {
    expect(table(["A", "B"], [])).toBe("A  B");
  });
});

describe("format", () => {
  it.each([
    [undefined, "-"],
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 ** 3, "5.0 GiB"],
    [2 ** 50, "1024.0 TiB"],
  ])("Given %s bytes, When formatted, Then it reads %j", (n, text) => {
    expect(format.bytes(n)).toBe(text);
  });

  it.each([
    [undefined, "-"],
    [0, "0 ms"],
    [999, "999 ms"],
    [1500, "1.5 s"],
    [119_000, "119.0 s"],
    [120_000, "2 min"],
    [3_600_000, "60 min"],
  ])("Given %s ms, When formatted, Then it reads %j", (ms, text) => {
    expect(format.ms(ms)).toBe(text);
  });
});

describe("retention", () => {
  it("Given policies, When checked, Then one that keeps nothing is refused as a config error", () => {
    expect(() => assertPolicyKeepsSomething({}, "app")).toThrow("the retention policy for app keeps no snapshot");
    expect(() => assertPolicyKeepsSomething({ last: 0, daily: 0 }, "app")).toThrow(AppError);
    try {
      assertPolicyKeepsSomething({}, "app");
    } catch (e) {
      expect((e as AppError).exitCode).toBe(ExitCode.config);
    }
    expect(() => assertPolicyKeepsSomething({ within: "7d" }, "app")).not.toThrow();
    expect(() => assertPolicyKeepsSomething({ daily: 7 }, "app")).not.toThrow();
  });

  it("Given a stack policy, When retention applies, Then it forgets that stack's kind:stack snapshots by host with its own policy, keeping protected, and prunes once", async () => {
    const restic = fakeRestic({ forgetGroups: (r) => [{ keep: [], remove: r.tags?.includes("stack:app") ? [snapshot({ id: "old1", time: "2025-01-01T00:00:00Z", tags: [] })] : [] }] });
    t = testContext({ restic, config: { stacks: { app: { keep: { daily: 14 } } } } });

    const res = await applyRetention(t.ctx, ["app", "blog"]);

    expect(restic.forgets.map((f) => [f.tags, f.keep])).toEqual([
      [["backup-tui", "stack:app", "kind:stack"], { daily: 14 }],
      [["backup-tui", "stack:blog", "kind:stack"], { last: 3 }],
    ]);
    expect(restic.forgets[0]).toMatchObject({ groupBy: "host", keepTags: ["protected"] });
    expect(res).toEqual([{ stack: "app", kept: 0, removed: ["old1"] }, { stack: "blog", kept: 0, removed: [] }]);
    expect(restic.calls.filter((c) => c === "prune")).toHaveLength(1);
    expect(policyFor(t.ctx, "blog")).toEqual({ last: 3 });
  });

  it("Given a dry run or nothing removed, When retention applies, Then it does not prune", async () => {
    const restic = fakeRestic({ forgetGroups: () => [{ keep: [], remove: [snapshot({ id: "x", time: "2025-01-01T00:00:00Z", tags: [] })] }] });
    t = testContext({ restic });

    await applyRetention(t.ctx, ["app"], { dryRun: true });

    expect(restic.forgets[0].dryRun).toBe(true);
    expect(restic.calls).not.toContain("prune");
  });

  it("Given a volume, When retention applies, Then it forgets that volume's kind:volume snapshots, never its stack's", async () => {
    const restic = fakeRestic();
    t = testContext({ restic });

    await applyRetention(t.ctx, ["volume-data"], { volume: "data" });

    expect(restic.forgets[0].tags).toEqual(["backup-tui", "vol:data", "kind:volume"]);
    expect(restic.calls).not.toContain("prune");
  });

  it("Given a policy that keeps nothing, When retention applies, Then nothing is forgotten", async () => {
    const restic = fakeRestic();
    t = testContext({ restic, config: { retention: { keep: {} } } });

    await expect(applyRetention(t.ctx, ["app"])).rejects.toThrow(/keeps no snapshot/);
    expect(restic.forgets).toEqual([]);
  });
});

describe("stackPaths", () => {
  function world(backupBindMounts = false) {
    t = testContext({ config: { docker: { backupBindMounts }, stacks: { app: { extraPaths: ["/nonexistent/extra"], exclude: ["*.log"] } } } });
    const dir = join(t.stacksDir, "app");
    const vol = join(t.dir, "volumes", "app_db", "_data");
    const outside = join(t.dir, "media");
    for (const d of [dir, vol, outside]) mkdirSync(d, { recursive: true });
    const web = container({
      name: "app-web-1",
      labels: { [OUR.exclude]: "cache/*, /srv/abs/*.tmp" },
      mounts: [
        { type: "bind", source: join(dir, "config"), destination: "/config", rw: true },
        { type: "bind", source: outside, destination: "/media", rw: true },
        { type: "bind", source: "/var/run/docker.sock", destination: "/var/run/docker.sock", rw: false },
        { type: "volume", name: "app_db", source: vol, destination: "/db", rw: true },
      ],
    });
    const stack = fakeStack("app", [web], { dir, volumes: [{ name: "app_db", mountpoint: vol, driver: "local", labels: {} }] });
    return { stack, dir, vol, outside };
  }

  it("Given a stack with a volume, binds and extra paths, When its paths are computed, Then the dir and volumes are in, outside binds skipped, missing reported", () => {
    const { stack, dir, vol, outside } = world(false);

    const sp = stackPaths(stack, t!.ctx.config);

    expect(sp.paths).toEqual([dir, vol]);
    expect(sp.skippedBinds).toEqual([outside]);
    expect(sp.missing).toEqual(["/nonexistent/extra"]);
  });

  it("Given BACKUP_BIND_MOUNTS=true, When computed, Then outside binds are backed up but system binds never", () => {
    const { stack, outside } = world(true);

    const sp = stackPaths(stack, t!.ctx.config);

    expect(sp.paths).toContain(outside);
    expect(sp.paths).not.toContain("/var/run/docker.sock");
    expect(sp.skippedBinds).toEqual([]);
  });

  it("Given exclude settings and labels, When computed, Then relative label globs apply inside each volume and absolute ones as they are", () => {
    const { stack, vol } = world();

    const sp = stackPaths(stack, t!.ctx.config);

    expect(sp.excludes).toEqual(["*.log", `${vol}/cache/*`, "/srv/abs/*.tmp"]);
  });
});
