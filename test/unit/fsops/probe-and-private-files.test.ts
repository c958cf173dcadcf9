import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sha256Lines, sha256File } from "../../../src/fsops/file-hash";
import {
  copyExecutable,
  ensurePrivateDir,
  removeFile,
  removePath,
  writePrivateFile,
  writePublicFile,
} from "../../../src/fsops/private-files";
import { isExistingEmptyDir, isFile, occupied, readTail, statOrUndefined } from "../../../src/fsops/probe";
import { lstatTree } from "../../../src/fsops/tree";

// The file operations services call instead of node:fs: their modes and their answers on missing paths.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "btui-fsops-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

describe("private files: what services write under the state directory", () => {
  it("Given nothing there, When a private dir and files are made, Then the dir is 0700, private files 0600, public 0644, an executable 0755", () => {
    const d = join(dir, "a", "kit");
    ensurePrivateDir(d);
    writePrivateFile(join(d, "config.ini"), "PASSWORD=x\n");
    writePublicFile(join(d, "RUNBOOK.txt"), "steps\n");
    writeFileSync(join(dir, "exe"), "#!/bin/sh\n", { mode: 0o600 });
    copyExecutable(join(dir, "exe"), join(d, "backup-tui"));

    expect(mode(d)).toBe(0o700);
    expect(mode(join(d, "config.ini"))).toBe(0o600);
    expect(mode(join(d, "RUNBOOK.txt"))).toBe(0o644);
    expect(mode(join(d, "backup-tui"))).toBe(0o755);
  });

  it("Given a file and a tree, When removed, Then both are gone; removing them again is fine; removeFile refuses a directory", () => {
    mkdirSync(join(dir, "t", "u"), { recursive: true });
    writeFileSync(join(dir, "t", "u", "f"), "x");
    writeFileSync(join(dir, "f"), "x");

    removePath(join(dir, "t"));
    removeFile(join(dir, "f"));
    removePath(join(dir, "t"));
    removeFile(join(dir, "f"));

    expect(statOrUndefined(join(dir, "t"))).toBeUndefined();
    expect(statOrUndefined(join(dir, "f"))).toBeUndefined();
    mkdirSync(join(dir, "d"));
    expect(() => removeFile(join(dir, "d"))).toThrow();
  });
});

describe("probes", () => {
  it("Given a missing path, an empty dir, a dir with a file and a file, Then occupied and isExistingEmptyDir tell them apart", () => {
    mkdirSync(join(dir, "empty"));
    mkdirSync(join(dir, "full"));
    writeFileSync(join(dir, "full", "x"), "x");
    const missing = join(dir, "missing");

    expect([missing, join(dir, "empty"), join(dir, "full"), join(dir, "full", "x")].map(occupied)).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(isExistingEmptyDir(missing)).toBe(false);
    expect(isExistingEmptyDir(join(dir, "empty"))).toBe(true);
    expect(isExistingEmptyDir(join(dir, "full"))).toBe(false);
    expect(isFile(join(dir, "full", "x"))).toBe(true);
    expect(isFile(join(dir, "full"))).toBe(false);
    expect(isFile(missing)).toBe(false);
  });

  it("Given a dump, Then readTail gives its last bytes, or all of a shorter file", () => {
    writeFileSync(join(dir, "d.sql"), "CREATE TABLE t;\n-- PostgreSQL database dump complete\n");
    expect(readTail(join(dir, "d.sql"), 12)).toBe("mp complete\n");
    expect(readTail(join(dir, "d.sql"), 10_000)).toContain("CREATE TABLE");
  });

  it("Given a text file, Then sha256Lines hands over each line and the same hash as sha256File", async () => {
    writeFileSync(join(dir, "d.sql"), "a\r\nb\nc");
    const lines: string[] = [];
    const h = await sha256Lines(join(dir, "d.sql"), (l) => lines.push(l));
    expect(lines).toEqual(["a", "b", "c"]);
    expect(h).toBe(await sha256File(join(dir, "d.sql")));
    expect(h).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("lstatTree", () => {
  it("Given a symlink to a directory, Then it is an entry of its own and never followed", () => {
    mkdirSync(join(dir, "root", "sub"), { recursive: true });
    writeFileSync(join(dir, "root", "sub", "f"), "x");
    mkdirSync(join(dir, "elsewhere"));
    writeFileSync(join(dir, "elsewhere", "secret"), "x");
    symlinkSync(join(dir, "elsewhere"), join(dir, "root", "link"));

    const seen = [...lstatTree(join(dir, "root"))].map((e) => [e.path.slice(dir.length), e.stat.isSymbolicLink()]);

    expect(seen).toContainEqual(["/root/link", true]);
    expect(seen.map(([p]) => p)).not.toContain("/root/link/secret");
    expect(seen.map(([p]) => p).sort()).toEqual(["/root", "/root/link", "/root/sub", "/root/sub/f"]);
  });

  it("Given a caller that stops at a directory, Then nothing below it is read (its names are read only on the next step)", () => {
    mkdirSync(join(dir, "root", "sub"), { recursive: true });
    const it = lstatTree(join(dir, "root"));
    expect(it.next().value?.path).toBe(join(dir, "root"));
    // The root's names are read now, not before: a directory removed in between is simply not there.
    rmSync(join(dir, "root", "sub"), { recursive: true });
    expect(it.next().done).toBe(true);
  });
});
