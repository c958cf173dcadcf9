import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dockerPluginFiles, onPath, VersionCache } from "../../../src/state/version-cache";

describe("tool versions remembered per binary", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "versions-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("asks once while the binary is unchanged; again when it is replaced, or when a file it depends on appears", async () => {
    const d = dir();
    const bin = join(d, "restic");
    const plugin = join(d, "plugin");
    writeFileSync(bin, "v1");
    const cache = new VersionCache(join(d, "state", "tool-versions.json"));
    let asked = 0;
    const ask = (v: string) => async () => (asked++, v);
    expect(await cache.get("restic", [bin, plugin], ask("0.18.0"))).toBe("0.18.0");
    expect(await new VersionCache(join(d, "state", "tool-versions.json")).get("restic", [bin, plugin], ask("x"))).toBe(
      "0.18.0",
    );
    expect(asked).toBe(1);
    writeFileSync(bin, "v2 longer");
    expect(await cache.get("restic", [bin, plugin], ask("0.19.1"))).toBe("0.19.1");
    writeFileSync(plugin, "p");
    expect(await cache.get("restic", [bin, plugin], ask("0.19.2"))).toBe("0.19.2");
    utimesSync(bin, new Date(), new Date(Date.now() + 5000)); // same bytes, new mtime (an upgrade in place)
    expect(await cache.get("restic", [bin, plugin], ask("0.19.3"))).toBe("0.19.3");
    expect(asked).toBe(4);
  });

  it("never remembers a failure, and keeps keys apart", async () => {
    const d = dir();
    const cache = new VersionCache(join(d, "v.json"));
    await expect(
      cache.get("a", [join(d, "none")], async () => {
        throw new Error("no answer");
      }),
    ).rejects.toThrow("no answer");
    expect(await cache.get("a", [join(d, "none")], async () => "1")).toBe("1");
    expect(await cache.get("b", [join(d, "none")], async () => "2")).toBe("2");
    expect(await cache.get("a", [join(d, "none")], async () => "other")).toBe("1");
  });

  it("finds a command on PATH, and names the Docker CLI's plugin places", () => {
    const d = dir();
    writeFileSync(join(d, "tool"), "");
    expect(onPath("tool", { PATH: `relative:${d}` })).toBe(join(d, "tool"));
    expect(onPath("/abs/tool", { PATH: d })).toBe("/abs/tool");
    expect(onPath("missing", { PATH: d })).toBe("missing");
    expect(dockerPluginFiles("compose", { DOCKER_CONFIG: "/cfg" })).toContain("/cfg/cli-plugins/docker-compose");
    expect(dockerPluginFiles("compose", {})).toContain("/usr/libexec/docker/cli-plugins/docker-compose");
  });
});
