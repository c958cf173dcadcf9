import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirlistFile, EditableDirlist, parseDirlist, serializeDirlist } from "../../../src/docker/dirlist";
import { BusyError, ConfigError, UsageError } from "../../../src/errors";

const SEED_SAMPLE = `# Stacks to back up
+webapp        # Enabled: will be backed up
+database      # Enabled: will be backed up
-monitoring   # Disabled: skipped
-cache        # Disabled: skipped

EXT:/home/user/important-data
-EXT:/var/lib/custom-app
`;

function parseError(text: string | Buffer): ConfigError {
  try {
    parseDirlist(text, "/etc/dirlist");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("parseDirlist", () => {
  it("Given the seed's documented sample with inline comments, When parsed, Then every entry has its state and no comment leaks into a name", () => {
    const { entries, warnings } = parseDirlist(SEED_SAMPLE, "dirlist");
    expect(entries).toEqual([
      { kind: "stack", name: "webapp", enabled: true },
      { kind: "stack", name: "database", enabled: true },
      { kind: "stack", name: "monitoring", enabled: false },
      { kind: "stack", name: "cache", enabled: false },
      { kind: "external", name: "/home/user/important-data", enabled: true },
      { kind: "external", name: "/var/lib/custom-app", enabled: false },
    ]);
    expect(warnings).toEqual([]);
  });

  it("Given +EXT:, a bare name, CRLF line ends and a BOM, When parsed, Then they are read leniently", () => {
    const { entries } = parseDirlist("\uFEFF+EXT:/srv/data\r\nlegacy\r\n  -api  \r\n", "dirlist");
    expect(entries).toEqual([
      { kind: "external", name: "/srv/data", enabled: true },
      { kind: "stack", name: "legacy", enabled: true },
      { kind: "stack", name: "api", enabled: false },
    ]);
  });

  it("Given an external path holding '#' without a space before it, When parsed, Then the '#' is part of the path", () => {
    expect(parseDirlist("EXT:/data/disk#1   # the first disk\n", "d").entries).toEqual([
      { kind: "external", name: "/data/disk#1", enabled: true },
    ]);
  });

  it("Given a stack listed twice, When parsed, Then the last line wins and a warning names both lines", () => {
    const { entries, warnings } = parseDirlist("+web\n# x\n-web\n", "/x/dirlist");
    expect(entries).toEqual([{ kind: "stack", name: "web", enabled: false }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("/x/dirlist:3");
    expect(warnings[0]).toContain("line 1");
  });

  it("Given a trailing slash or a '.' segment in an external path, When parsed, Then the path is normalised", () => {
    expect(parseDirlist("EXT:/srv/./data/\n", "d").entries[0].name).toBe("/srv/data");
  });

  it.each([
    ["EXT:../../etc", "absolute"],
    ["EXT:relative/path", "absolute"],
    ["-EXT:/srv/../../etc/shadow", "'..'"],
    ["EXT:/srv/data/..", "'..'"],
    ["EXT:", "absolute"],
    ["+web;rm -rf /", "stack name"],
    ["+$(reboot)", "stack name"],
    ["-`id`", "stack name"],
    ["+../etc", "stack name"],
    ["+.hidden", "stack name"],
    ["+web app", "stack name"],
    ["+web#x", "stack name"],
    ["+", "stack name"],
    [`+${"a".repeat(129)}`, "stack name"],
    ["ext:/srv", "stack name"],
  ])(
    "Given the hostile or malformed line %j, When parsed, Then a ConfigError names file:line and the reason",
    (line, reason) => {
      const err = parseError(`# header\n+ok\n${line}\n`);
      expect(err.message).toContain("/etc/dirlist:3");
      expect(err.message).toContain(reason);
      expect(err.exitCode).toBe(78);
      expect(err.hint).toMatch(/EXT:\/absolute\/path/);
    },
  );

  it("Given a control character inside an external path, When parsed, Then it is refused", () => {
    expect(parseError("EXT:/srv/a\u0007b\n").message).toContain("control characters");
  });

  it("Given NUL bytes, When parsed, Then it is refused as not a dirlist file", () => {
    expect(parseError(Buffer.from("+web\n\0+db\n")).message).toContain("NUL");
  });

  it("Given bytes that are not UTF-8, When parsed, Then the error says so", () => {
    expect(parseError(Buffer.from([0x2b, 0x77, 0xff, 0xfe, 0x0a])).message).toContain("not valid UTF-8");
  });

  it("Given 1 MiB of text, When parsed, Then it is refused as too large", () => {
    expect(parseError("#".repeat(1024 * 1024 + 1)).message).toContain("too large");
  });
});

describe("serializeDirlist", () => {
  it("Given the parsed seed sample, When serialized unchanged, Then the text is byte for byte the same", () => {
    expect(serializeDirlist(parseDirlist(SEED_SAMPLE, "d").entries, SEED_SAMPLE)).toBe(SEED_SAMPLE);
  });

  it("Given a file without a final newline and with CRLF, When serialized unchanged, Then it stays the same", () => {
    const text = "# c\r\n+web\r\n-db";
    expect(serializeDirlist(parseDirlist(text, "d").entries, text)).toBe(text);
  });

  it("Given an entry toggled, one removed and one added, When serialized, Then comments stay, the toggled line keeps its comment, the new one is appended", () => {
    const doc = new EditableDirlist(parseDirlist(SEED_SAMPLE, "d").entries);
    doc.set({ kind: "stack", name: "monitoring", enabled: true });
    doc.set({ kind: "external", name: "/home/user/important-data", enabled: false });
    doc.remove("cache");
    doc.set({ kind: "stack", name: "newapp", enabled: false });
    expect(serializeDirlist(doc.entries, SEED_SAMPLE)).toBe(`# Stacks to back up
+webapp        # Enabled: will be backed up
+database      # Enabled: will be backed up
+monitoring   # Disabled: skipped

-EXT:/home/user/important-data
-EXT:/var/lib/custom-app
-newapp
`);
  });

  it("Given a stack listed twice, When the stack is toggled, Then the last line changes so the new state wins on reading back", () => {
    const text = "-web\n-web # later\n";
    const out = serializeDirlist([{ kind: "stack", name: "web", enabled: true }], text);
    expect(out).toBe("-web\n+web # later\n");
    expect(parseDirlist(out, "d").entries).toEqual([{ kind: "stack", name: "web", enabled: true }]);
  });

  it("Given no original text, When serialized, Then entries are written one a line", () => {
    expect(
      serializeDirlist([
        { kind: "stack", name: "a", enabled: true },
        { kind: "external", name: "/x", enabled: true },
        { kind: "external", name: "/y", enabled: false },
      ]),
    ).toBe("+a\nEXT:/x\n-EXT:/y\n");
  });
});

describe("EditableDirlist", () => {
  it("Given an entry with a hostile name, When set, Then it is refused before anything can be written", () => {
    const doc = new EditableDirlist([]);
    expect(() => doc.set({ kind: "stack", name: "x\n+evil", enabled: true })).toThrow(UsageError);
    expect(() => doc.set({ kind: "external", name: "../etc", enabled: true })).toThrow(/absolute/);
    expect(doc.entries).toEqual([]);
  });
});

describe("DirlistFile", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dirlist-"));
    file = join(dir, "sub", "dirlist");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("Given no file, When read, Then the list is empty and nothing is listed", () => {
    const d = new DirlistFile(file);
    expect(d.read()).toEqual({ entries: [], warnings: [] });
    expect(d.isEnabled("web")).toBeUndefined();
  });

  it("Given no file and no parent dir, When a stack is enabled, Then the dir and a 0600 file are created", async () => {
    const d = new DirlistFile(file);
    await d.enable("web");
    expect(readFileSync(file, "utf8")).toBe("+web\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(d.isEnabled("web")).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("Given a commented file, When a stack is disabled and an external added, Then comments and order survive", async () => {
    await new DirlistFile(file).enable("seed"); // creates the directory
    writeFileSync(file, SEED_SAMPLE);
    chmodSync(file, 0o644);
    const d = new DirlistFile(file);
    await d.disable("webapp");
    await d.addExternal("/srv/extra");
    await d.disable("EXT:/home/user/important-data");
    const text = readFileSync(file, "utf8");
    expect(text).toBe(
      SEED_SAMPLE.replace("+webapp        #", "-webapp        #").replace(
        "EXT:/home/user/important-data",
        "-EXT:/home/user/important-data",
      ) + "EXT:/srv/extra\n",
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(d.isEnabled("webapp")).toBe(false);
    expect(d.isEnabled("EXT:/srv/extra")).toBe(true);
  });

  it("Given a hostile argument, When enabling it, Then a UsageError is thrown and the file is untouched", async () => {
    const d = new DirlistFile(file);
    await expect(d.enable("web;rm -rf /")).rejects.toBeInstanceOf(UsageError);
    await expect(d.addExternal("../../etc")).rejects.toThrow(/absolute/);
    expect(existsSync(file)).toBe(false);
  });

  it("Given two parallel enable() calls on the same file, When both finish, Then both entries landed", async () => {
    const a = new DirlistFile(file);
    const b = new DirlistFile(file);
    await a.disable("seed");
    await Promise.all([a.enable("one"), b.enable("two"), a.enable("three"), b.addExternal("/srv/four")]);
    expect(
      parseDirlist(readFileSync(file), file)
        .entries.map((e) => e.name)
        .sort(),
    ).toEqual(["/srv/four", "one", "seed", "three", "two"]);
  });

  it("Given another process holds the dirlist lock, When enable() runs, Then it waits and then reads the other's write before adding its own", async () => {
    const d = new DirlistFile(file);
    await d.enable("seed");
    const release = await lockfile.lock(file, { realpath: false, lockfilePath: `${file}.lock` });
    let done = false;
    const pending = d.enable("mine").then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    writeFileSync(file, "+seed\n+theirs\n");
    await release();
    await pending;
    expect(readFileSync(file, "utf8")).toBe("+seed\n+theirs\n+mine\n");
  });

  it("Given the lock is held for longer than the retries last, When enable() runs, Then it fails busy and writes nothing", async () => {
    const d = new DirlistFile(file);
    await d.enable("seed");
    const release = await lockfile.lock(file, { realpath: false, lockfilePath: `${file}.lock` });
    try {
      const err = await d.enable("mine").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusyError);
      expect((err as BusyError).exitCode).toBe(75);
      expect(readFileSync(file, "utf8")).toBe("+seed\n");
    } finally {
      await release();
    }
  });

  it("Given the edit callback throws, When edit() fails, Then nothing is written and the lock is released", async () => {
    const d = new DirlistFile(file);
    await d.enable("seed");
    await expect(
      d.edit((doc) => {
        doc.set({ kind: "stack", name: "half", enabled: true });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(readFileSync(file, "utf8")).toBe("+seed\n");
    expect(existsSync(`${file}.lock`)).toBe(false);
    await d.enable("after");
    expect(d.isEnabled("after")).toBe(true);
  });

  it("Given a file that does not change, When an edit runs, Then the file is not rewritten", async () => {
    const d = new DirlistFile(file);
    await d.enable("web");
    const before = statSync(file).ino;
    await d.enable("web");
    expect(statSync(file).ino).toBe(before);
  });

  it("Given a callback, When edit() runs it, Then its result is returned", async () => {
    const d = new DirlistFile(file);
    await d.enable("web");
    await expect(d.edit((doc) => doc.get("web")?.enabled)).resolves.toBe(true);
  });

  it("Given an async callback, When edit() runs it, Then its changes are written after it settles", async () => {
    const d = new DirlistFile(file);
    await d.edit(async (doc) => {
      await new Promise((r) => setTimeout(r, 20));
      doc.set({ kind: "stack", name: "late", enabled: true });
    });
    expect(readFileSync(file, "utf8")).toBe("+late\n");
  });

  it("Given an external listed as EXT:/srv/data, When looked up as EXT:/srv/data/, Then it is found", async () => {
    const d = new DirlistFile(file);
    await d.addExternal("/srv/data", false);
    expect(d.isEnabled("EXT:/srv/data/")).toBe(false);
    await d.enable("EXT:/srv//data/");
    expect(readFileSync(file, "utf8")).toBe("EXT:/srv/data\n");
  });

  it("Given a dirlist reached by a symlink, When edited, Then the target changes and the link stays a link", async () => {
    const real = join(dir, "real-dirlist");
    writeFileSync(real, "+a\n");
    const link = join(dir, "link-dirlist");
    symlinkSync(real, link);
    await new DirlistFile(link).enable("b");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real, "utf8")).toBe("+a\n+b\n");
  });

  it("Given stacks, externals and a new discovery, When synced, Then new stacks are added disabled, vanished stacks dropped, externals kept", async () => {
    await new DirlistFile(file).enable("seed");
    writeFileSync(file, "# mine\n+web   # prod\n-old\nEXT:/srv/data\n-EXT:/srv/off\n");
    const d = new DirlistFile(file);
    const r = await d.sync(["web", "fresh", "bad name"]);
    expect(r).toEqual({ added: ["fresh"], removed: ["old"], skipped: ["bad name"] });
    expect(readFileSync(file, "utf8")).toBe("# mine\n+web   # prod\nEXT:/srv/data\n-EXT:/srv/off\n-fresh\n");
    expect(d.isEnabled("fresh")).toBe(false);
  });

  it("Given a corrupt dirlist, When an edit is attempted, Then it fails with the file:line and leaves the file as it was", async () => {
    await new DirlistFile(file).enable("seed");
    writeFileSync(file, "+ok\nEXT:../../etc\n");
    await expect(new DirlistFile(file).enable("web")).rejects.toThrow(`${file}:2`);
    expect(readFileSync(file, "utf8")).toBe("+ok\nEXT:../../etc\n");
  });
});
