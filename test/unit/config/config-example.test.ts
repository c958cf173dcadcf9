import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SECTIONS, STACK_KEYS, type KeyDef } from "../../../src/config/keys";
import { loadConfig } from "../../../src/config/load";

const EXAMPLE = resolve(import.meta.dirname, "..", "..", "..", "config.example.ini");
const text = readFileSync(EXAMPLE, "utf8");

/** Section name (a commented `#[stack:NAME]` counts as "stack") → the `KEY=value` lines documented in it, commented or not. */
function documented(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^#?\[(.+)\]$/.exec(line.trim());
    if (header) {
      section = header[1].startsWith("stack:") ? "stack" : header[1];
      out.set(section, new Map());
      continue;
    }
    const kv = /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (kv && section) out.get(section)?.set(kv[1], kv[2]);
  }
  return out;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "config-example-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const load = (file: string, env: NodeJS.ProcessEnv = {}) =>
  loadConfig({
    flag: file,
    env: { BACKUP_TUI_STATE_DIR: join(dir, "state"), ...env },
    exeDir: dir,
    cwd: dir,
    uid: 1000,
    home: dir,
  });

const all: Array<[string, string, KeyDef]> = [
  ...Object.entries(SECTIONS).flatMap(([s, keys]) =>
    Object.entries(keys as Record<string, KeyDef>).map(([k, d]) => [s, k, d] as [string, string, KeyDef]),
  ),
  ...Object.entries(STACK_KEYS).map(([k, d]) => ["stack", k, d] as [string, string, KeyDef]),
];

describe("config.example.ini", () => {
  it("Given the committed example, When loaded as a config (chmod 600, repository from the environment), Then it is valid and raises no warnings", () => {
    const file = join(dir, "config.ini");
    copyFileSync(EXAMPLE, file);
    const c = load(file, { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: join(dir, "repo") });
    expect(c.source.format).toBe("sectioned");
    expect(c.restic.repository).toBe(join(dir, "repo"));
    expect(c.warnings).toEqual([]);
  });

  it.each(all)(
    "Given the key table, When the example is read, Then [%s] %s is documented in its section with its description",
    (section, key, def) => {
      const keys = documented().get(section);
      expect(keys, `section [${section}] missing`).toBeDefined();
      expect(keys?.has(key), `${key} missing from [${section}]`).toBe(true);
      expect(text).toContain(`# ${key}: ${def.description.split(" ").slice(0, 4).join(" ")}`);
      if (def.default !== undefined) expect(keys?.get(key)).toBe(def.default);
    },
  );

  it("Given every documented value, When each is checked against its key's schema, Then all are valid values", () => {
    const bad: string[] = [];
    for (const [section, key, def] of all) {
      const value = documented().get(section)?.get(key) ?? "";
      if (value && !def.schema.safeParse(value).success) bad.push(`[${section}] ${key}=${value}`);
    }
    expect(bad).toEqual([]);
  });

  it("Given the example with every documented value switched on (one password source), When loaded, Then the whole example is a valid config", () => {
    const alternatives = /^#(RESTIC_PASSWORD|RESTIC_PASSWORD_COMMAND)=/;
    const enabled = text
      .split("\n")
      .map((l) =>
        /^#\[(stack|cloud_sync):/.test(l)
          ? l.slice(1)
          : /^#[A-Z][A-Z0-9_]*=.+$/.test(l) && !alternatives.test(l)
            ? l.slice(1)
            : l,
      )
      .join("\n");
    const file = join(dir, "config.ini");
    writeFileSync(file, enabled, { mode: 0o600 });
    const c = load(file);
    expect(c.warnings).toEqual([]);
    expect(c.restic.password).toMatchObject({ kind: "file", path: "/etc/backup-tui/restic-password" });
    expect(c.stacks.nextcloud).toMatchObject({ strategy: "down", twoPass: false, extraPaths: ["/srv/nextcloud-data"] });
    expect(c.cloud).toMatchObject({ remote: "b2-backup", path: "backups/host1/restic", bandwidth: "10M" });
    expect(c.targets.map((t) => [t.name, t.mode, t.bandwidth])).toEqual([
      ["default", "mirror", "10M"],
      ["offsite", "append", "5M"],
    ]);
  });
});
