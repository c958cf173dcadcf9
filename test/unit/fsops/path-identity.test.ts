import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalPath, identity, isInside, linkDestination, prefixes } from "../../../src/fsops/identity";

const dir = mkdtempSync(join(tmpdir(), "btui-identity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("path identity: what a path really names", () => {
  it("Given an absolute path, When its prefixes are listed, Then every component comes outermost first, normalised", () => {
    expect(prefixes("/a/b/../c//d")).toEqual(["/", "/a", "/a/c", "/a/c/d"]);
    expect(prefixes("/")).toEqual(["/"]);
  });

  it("Given /proc/self/root and a symlink to a directory, When identities are taken, Then they are those of / and of the directory", () => {
    mkdirSync(join(dir, "live"));
    symlinkSync(join(dir, "live"), join(dir, "alias"));
    expect(identity("/proc/self/root")).toBe(identity("/"));
    expect(identity(join(dir, "alias"))).toBe(identity(join(dir, "live")));
    expect(identity(join(dir, "missing"))).toBeUndefined();
  });

  it("Given a path below a symlink that does not exist yet, When made canonical, Then the existing part is resolved and the rest kept", () => {
    expect(canonicalPath(join(dir, "alias", "not", "yet"))).toBe(join(dir, "live", "not", "yet"));
  });

  it("Given dangling and chained symlinks, When followed, Then the destination is where a write through them would land", () => {
    symlinkSync("/etc/nowhere-yet", join(dir, "dangling"));
    symlinkSync(join(dir, "alias"), join(dir, "chain"));
    writeFileSync(join(dir, "live", "f"), "x");
    expect(linkDestination(join(dir, "dangling"))).toBe("/etc/nowhere-yet");
    expect(linkDestination(join(dir, "chain"))).toBe(join(dir, "live"));
  });

  it("Given two paths, When one is tested inside the other, Then a shared name prefix is not inside", () => {
    expect(isInside("/srv/app", "/srv/app")).toBe(true);
    expect(isInside("/srv/app/x", "/srv/app")).toBe(true);
    expect(isInside("/srv/application", "/srv/app")).toBe(false);
    expect(isInside("/anything", "/")).toBe(true);
  });
});
