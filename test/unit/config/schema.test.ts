import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { defaultSettings } from "../../../src/config/defaults";
import { applyEnvOverrides, envName } from "../../../src/config/env-overrides";
import { parseIni } from "../../../src/config/ini-file";
import { unescapeIni } from "../../../src/config/ini-value";
import { type KeyDef, SECTIONS, STACK_KEYS } from "../../../src/config/keys";
import { loadConfig } from "../../../src/config/load";
import { parseSection, sectionSchema } from "../../../src/config/parse-section";
import type { RawSections } from "../../../src/config/raw";
import type { Config, StackSettings } from "../../../src/config/types";
import { AppError, UsageError } from "../../../src/errors";
import { Secret } from "../../../src/exec/redact";

const TABLES: Array<[string, Record<string, KeyDef>]> = [
  ...Object.entries(SECTIONS).map(([s, keys]) => [s, keys] as [string, Record<string, KeyDef>]),
  ["stack:NAME", STACK_KEYS],
];
const ALL = TABLES.flatMap(([section, keys]) => Object.entries(keys).map(([key, def]) => ({ section, key, def })));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "config-schema-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, env: NodeJS.ProcessEnv = {}): Config {
  const file = join(dir, "config.ini");
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return loadConfig({
    flag: file,
    env: { BACKUP_TUI_STATE_DIR: join(dir, "state"), ...env },
    exeDir: dir,
    cwd: dir,
    uid: 1000,
  });
}
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error("expected an error");
}
const REPO = "[local_backup]\nRESTIC_REPOSITORY=/r\nRESTIC_PASSWORD_FILE=/p\n";

describe("the config schema: each key defined once", () => {
  it.each(ALL)("[$section] $key has a description of a sentence", ({ def }) => {
    expect(def.description.length).toBeGreaterThan(10);
    expect(def.description).toMatch(/[.)]$/);
  });

  it.each(ALL.filter((k) => k.def.default !== undefined))(
    "[$section] $key: its default is a valid value of its own type",
    ({ def }) => {
      expect(def.schema.safeParse(def.default).success).toBe(true);
    },
  );

  it.each(TABLES)(
    "Given nothing written in [%s], Then the section parses: defaults parsed, the other keys unset",
    (_s, defs) => {
      const values = sectionSchema(defs).parse({}) as Record<string, unknown>;
      for (const [key, def] of Object.entries(defs)) {
        if (def.default === undefined) expect(values[key], key).toBeUndefined();
        else expect(values[key], key).toEqual(def.schema.parse(def.default));
      }
    },
  );

  it("Given the defaults, Then they are typed values, not the strings of the table", () => {
    const d = defaultSettings();
    expect(d.docker).toMatchObject({ timeoutSec: 300, stopTimeoutSec: 30, twoPass: true, strategy: "stop" });
    expect(d.retention).toEqual({ keep: { daily: 7, weekly: 4, monthly: 12, yearly: 3 }, autoPrune: false });
    expect(d.notify.on).toEqual(["failure"]);
    expect(d.stack).toMatchObject({ hookTimeoutSec: 300, exclude: [], extraPaths: [], dumps: [] });
  });

  it("Given a config file setting nothing, Then loadConfig's sections are the schema's defaults", () => {
    const c = load(REPO);
    const d = defaultSettings();
    expect(c.docker).toEqual(d.docker);
    expect(c.cloud).toEqual(d.cloud);
    expect(c.retention).toEqual(d.retention);
    expect(c.verification).toEqual(d.verification);
    expect(c.space).toEqual(d.space);
    expect(c.notify).toEqual(d.notify);
    expect(c.doomsday).toEqual(d.doomsday);
    expect(c.schedule).toEqual(d.schedule);
  });

  it("Config's field types are inferred from the keys' value types", () => {
    expectTypeOf<Config["docker"]["timeoutSec"]>().toEqualTypeOf<number>();
    expectTypeOf<Config["docker"]["strategy"]>().toEqualTypeOf<"stop" | "down" | "pause" | "none" | "snapshot">();
    expectTypeOf<Config["cloud"]["bandwidth"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Config["notify"]["webhookUrl"]>().toEqualTypeOf<Secret | undefined>();
    expectTypeOf<StackSettings["twoPass"]>().toEqualTypeOf<boolean | undefined>();
    expect(load(`${REPO}[notify]\nWEBHOOK_URL=https://h/x\n`).notify.webhookUrl).toBeInstanceOf(Secret);
  });
});

describe("parseSection: written values through the schema", () => {
  it("Given a wrong value, Then the error names its origin, section and key, and the key is left out", () => {
    const errors: string[] = [];
    const raw: RawSections = { cloud_sync: { TRANSFERS: { value: "many", origin: "f.ini:9" } } };
    const v = parseSection(SECTIONS.cloud_sync, "cloud_sync", raw, errors);
    expect(errors).toEqual(['f.ini:9: [cloud_sync] TRANSFERS: must be a whole number (1 to 256), e.g. 4 (got "many")']);
    expect(v.TRANSFERS).toBe(4);
  });

  it("Given a wrong value in a file, Then loadConfig's message names FILE:LINE and the key", () => {
    const err = thrown(() => load(`${REPO}[cloud_sync]\nRETRIES=0\n`));
    expect(err.message).toBe(
      `${join(dir, "config.ini")}:5: [cloud_sync] RETRIES: must be a whole number (1 to 100), e.g. 3 (got "0")`,
    );
  });

  it("Given a wrong secret, Then its value is not shown", () => {
    const errors: string[] = [];
    const raw: RawSections = { notify: { GOTIFY_TOKEN: { value: "t".repeat(5000), origin: "f.ini:3" } } };
    parseSection(SECTIONS.notify, "notify", raw, errors);
    expect(errors).toEqual(["f.ini:3: [notify] GOTIFY_TOKEN: must be a value of at most 4096 characters"]);
  });
});

describe("every written key is checked, whatever the others say", () => {
  it("Given BANDWIDTH and a wrong BANDWIDTH_LIMIT, Then the alias is an error too (no longer skipped)", () => {
    expect(thrown(() => load(`${REPO}[cloud_sync]\nBANDWIDTH=10M\nBANDWIDTH_LIMIT=fast\n`)).message).toContain(
      ":6: [cloud_sync] BANDWIDTH_LIMIT: must be an rclone bandwidth",
    );
  });

  it("Given keys named like Object's own properties, Then they are unknown keys and sections, with a warning", () => {
    const c = load(`${REPO}[docker]\nconstructor=y\n[toString]\nX=1\n`);
    expect(c.warnings).toEqual([
      expect.stringContaining(":5: unknown key constructor in [docker] (ignored)"),
      expect.stringContaining(":6: unknown section [toString]"),
    ]);
  });

  it("Given a ']' inside a stack section's name, Then it is a bad stack name naming its line", () => {
    expect(thrown(() => load(`${REPO}[stack:a]b]\nTWO_PASS=no\n`)).message).toContain(
      ":5: [stack:a]b]: a stack name is letters",
    );
  });
});

describe("environment overrides", () => {
  it("Given BACKUP_TUI_<SECTION>_<KEY>, Then it replaces the file's value, with its origin", () => {
    const raw: RawSections = { docker: { STOP_TIMEOUT: { value: "5", origin: "f.ini:2" } } };
    applyEnvOverrides(raw, { [envName("docker", "STOP_TIMEOUT")]: "7" }, "f.ini", []);
    expect(raw.docker.STOP_TIMEOUT).toEqual({ value: "7", origin: "environment BACKUP_TUI_DOCKER_STOP_TIMEOUT" });
  });

  it("Given an overriding password source, Then the file's password keys are all replaced", () => {
    const raw: RawSections = { local_backup: { RESTIC_PASSWORD_FILE: { value: "/p", origin: "f.ini:2" } } };
    applyEnvOverrides(raw, { BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_COMMAND: "pass x" }, "f.ini", []);
    expect(Object.keys(raw.local_backup)).toEqual(["RESTIC_PASSWORD_COMMAND"]);
  });

  it("Given the confirmation hash in the environment, Then it is ignored with a warning (file only)", () => {
    const raw: RawSections = {};
    const warnings: string[] = [];
    applyEnvOverrides(raw, { BACKUP_TUI_SECURITY_CONFIRM_PASSWORD_HASH: "scrypt$x" }, "f.ini", warnings);
    expect(raw).toEqual({});
    expect(warnings).toEqual([expect.stringContaining("BACKUP_TUI_SECURITY_CONFIRM_PASSWORD_HASH is ignored")]);
  });

  it("Given a hash in the file, Then a guarded override is refused (exit 2) and nothing is applied", () => {
    const raw: RawSections = { security: { CONFIRM_PASSWORD_HASH: { value: "scrypt$x", origin: "f.ini:2" } } };
    const err = thrown(() => applyEnvOverrides(raw, { BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST: "1" }, "f.ini", []));
    expect(err).toBeInstanceOf(UsageError);
    expect(raw.local_backup).toBeUndefined();
  });
});

describe("parseIni: one pass with line numbers", () => {
  const parse = (text: string) => parseIni(Buffer.from(text), "f.ini");

  it("Given flat keys, sections, a dotted section and a repeated one, Then each key has its line", () => {
    const doc = parse("A=1\n[docker]\nSTOP_TIMEOUT=5\n[stack:a.b]\nTWO_PASS=no\n[docker]\nTWO_PASS=yes\n");
    expect(doc.flat).toEqual(new Map([["A", { value: "1", line: 1 }]]));
    expect(doc.sections.get("docker")).toEqual({
      line: 2,
      keys: new Map([
        ["STOP_TIMEOUT", { value: "5", line: 3 }],
        ["TWO_PASS", { value: "yes", line: 7 }],
      ]),
    });
    expect(doc.sections.get("stack:a.b")?.keys.get("TWO_PASS")).toEqual({ value: "no", line: 5 });
  });

  it("Given __proto__ as a section or a key, Then it is dropped (as the ini package dropped it)", () => {
    const doc = parse("[__proto__]\nX=1\n[docker]\n__proto__=x\n");
    expect([...doc.sections.keys()]).toEqual(["docker"]);
    expect(doc.sections.get("docker")?.keys.size).toBe(0);
  });

  it("Given a comment after white space, Then the value ends before it; a # elsewhere is kept", () => {
    const doc = parse("[schedule]\nBACKUP=0 3 * * *   # daily\n[local_backup]\nRESTIC_REPOSITORY=/srv/repo#2\n");
    expect(doc.sections.get("schedule")?.keys.get("BACKUP")?.value).toBe("0 3 * * *");
    expect(doc.sections.get("local_backup")?.keys.get("RESTIC_REPOSITORY")?.value).toBe("/srv/repo#2");
  });
});

describe("unescapeIni: values read as the ini package (7.0) read them", () => {
  // Each expected value is what ini.unsafe() gave for the same input.
  it.each([
    ["plain", "plain"],
    ["  spaced  ", "spaced"],
    ["a\\\\b", "a\\b"],
    ["C:\\Users\\x", "C:\\Users\\x"],
    ["a\\;b", "a;b"],
    ["a\\#b", "a#b"],
    ["a;b", "a"],
    ["trail\\", "trail\\"],
    ['"quoted # ; "', "quoted # ; "],
    ['"a\\"b"', 'a"b'],
    ['"bad \\q"', '"bad \\q"'],
    ["'single'", "single"],
    ["'123'", "123"],
    ["'\"x\"'", "x"],
    ['"', '"'],
  ])("%j → %j", (written, value) => {
    expect(unescapeIni(written)).toBe(value);
  });
});
