import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OUR } from "../../../../src/docker/labels";
import { stackPaths } from "../../../../src/services/stacks/paths";
import { container, fakeStack, testContext, type TestContext } from "../../../helpers/fakes";

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

describe("stackPaths", () => {
  function world(backupBindMounts = false) {
    t = testContext({
      config: {
        docker: { backupBindMounts },
        stacks: { app: { extraPaths: ["/nonexistent/extra"], exclude: ["*.log"] } },
      },
    });
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
    const stack = fakeStack("app", [web], {
      dir,
      volumes: [{ name: "app_db", mountpoint: vol, driver: "local", labels: {} }],
    });
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
