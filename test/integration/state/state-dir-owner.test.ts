import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, type TestWorld } from "../../helpers/env";

// Issue 17 item 14, through the executable: a state directory owned by another user is refused
// before anything in it is read, written or acted on (journals name paths to delete and process
// groups to kill): exit 78, the directory, its owner and the fix; nothing created in it.

describe.skipIf(process.getuid?.() !== 0)("a state directory owned by another user", () => {
  let w: TestWorld;
  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    mkdirSync(w.stateDir);
    chmodSync(w.stateDir, 0o777);
    chownSync(w.stateDir, 65534, 65534);
  });
  afterAll(() => w?.cleanup());

  it.each([["history"], ["recover"], ["backup", "--dry-run"]])(
    "Given it, When `%s` runs, Then exit 78 names the directory, its owner and chown, with no stack trace, and nothing is created in it",
    (...args) => {
      const r = cli(w, args);

      expect(r.code, r.stderr).toBe(78);
      expect(r.stderr).toContain(`the state directory ${w.stateDir} is owned by`);
      expect(r.stderr).toContain("(uid 65534)");
      expect(r.stderr).toContain(`chown -R 0 ${w.stateDir}`);
      expect(r.stderr).not.toMatch(/at .*\.(ts|js):\d+/);
      expect(readdirSync(w.stateDir)).toEqual([]);
      expect(existsSync(join(w.stateDir, "state.db"))).toBe(false);
    },
  );
});
