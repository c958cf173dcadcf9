import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setHintGlobals } from "../../src/command-hint";
import { loadConfig } from "../../src/config/load";
import { locateConfig } from "../../src/config/locate";
import { ConfigError } from "../../src/errors";
import { restoreCommand } from "../../src/tui/format";

/** Every command printed for the user to paste carries the --config they ran with (quoted, absolute). */
describe("printed commands carry the user's --config", () => {
  let dir: string;
  let config: string;
  let flag: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "btui-hints-"));
    config = join(dir, "my backup.ini");
    flag = `--config '${config}'`;
    setHintGlobals({ config: "my backup.ini" }, dir); // relative, as typed: made absolute
  });
  afterEach(() => {
    setHintGlobals({});
    rmSync(dir, { recursive: true, force: true });
  });

  const thrown = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error("expected a ConfigError");
  };

  it("Given --config naming a missing file, When located, Then the hint's init command writes that file", () => {
    const err = thrown(() => locateConfig({ flag: config, env: {}, exeDir: dir, cwd: dir }));
    expect(err.hint).toContain(`\`backup-tui ${flag} init\``);
  });

  it("Given --config naming a file with a bad value, When loaded, Then `config validate` and `config example` in the hint name that file", () => {
    writeFileSync(config, `[local_backup]\nRESTIC_REPOSITORY=${join(dir, "repo")}\n[docker]\nDOCKER_TIMEOUT=abc\n`, {
      mode: 0o600,
    });
    const err = thrown(() => loadConfig({ flag: config, env: {}, exeDir: dir, cwd: dir, uid: 1000, home: dir }));
    expect(err.hint).toContain(`\`backup-tui ${flag} config validate\``);
    expect(err.hint).toContain(`\`backup-tui ${flag} config example\``);
  });

  it("Given --config, When the TUI shows the restore command of a snapshot, Then it carries --config", () => {
    expect(restoreCommand({ shortId: "abcd1234", stack: "web", kind: "stack", tags: [] })).toBe(
      `backup-tui ${flag} restore --stack web --snapshot abcd1234`,
    );
  });
});
