import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ensureStateDir } from "../../../src/app";
import type { Config } from "../../../src/config/types";
import { ConfigError, ExitCode } from "../../../src/errors";
import { checkStateDir, type FsProbe } from "../../../src/services/doctor/doctor";
import { writeJsonAtomic, writeTextAtomic } from "../../../src/state/atomic-file";

// Issue 17 item 14: the state directory's journals say which paths we delete and which process
// groups we kill, so one owned by another user is refused (exit 78, naming the directory, its
// owner and the fix). The atomic write's temp file has a random name and is created with
// O_EXCL: a symlink planted beside the target never redirects the write.

const fixedName = vi.hoisted(() => ({ on: false }));
vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:crypto")>();
  return { ...real, randomBytes: (n: number) => (fixedName.on ? Buffer.alloc(n, 0xab) : real.randomBytes(n)) };
});

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

describe("the state directory's owner", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "state-owner-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!asRoot)(
    "Given a state dir owned by another user, When a command opens it, Then it is refused with exit 78 naming the dir, its owner and the chown fix, and its mode is left alone",
    () => {
      const state = join(dir, "state");
      mkdirSync(state);
      chmodSync(state, 0o777);
      chownSync(state, NOBODY, NOBODY);

      let err: unknown;
      try {
        ensureStateDir({ stateDir: state } as Config);
      } catch (e) {
        err = e;
      }

      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(ExitCode.config);
      expect((err as ConfigError).message).toContain(`the state directory ${state} is owned by`);
      expect((err as ConfigError).message).toContain(`(uid ${NOBODY})`);
      expect((err as ConfigError).hint).toContain(`chown -R ${process.getuid!()} ${state}`);
      expect((err as ConfigError).hint).toContain("BACKUP_TUI_STATE_DIR");
      expect(statSync(state).mode & 0o777).toBe(0o777);
    },
  );

  it("Given a state dir of our own (or none yet), When opened, Then it is used and made 0700", () => {
    const state = join(dir, "fresh");
    ensureStateDir({ stateDir: state } as Config);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    ensureStateDir({ stateDir: state } as Config);
  });
});

describe("atomic writes and planted symlinks", () => {
  let dir: string;
  let victim: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atomic-"));
    victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
  });
  afterEach(() => {
    fixedName.on = false;
    rmSync(dir, { recursive: true, force: true });
  });

  it("Given a symlink planted at the old predictable temp name, When the file is written, Then the symlink's target is untouched and the file holds the new text", () => {
    const file = join(dir, "journal.json");
    symlinkSync(victim, `${file}.tmp-${process.pid}`);

    writeJsonAtomic(file, { ok: true });

    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ ok: true });
  });

  it("Given a symlink planted at the very temp name (random bytes made guessable), When the file is written, Then the exclusive create fails (EEXIST), the target is untouched and the file is not replaced", () => {
    const file = join(dir, "journal.json");
    writeFileSync(file, "old\n");
    fixedName.on = true;
    symlinkSync(victim, join(dir, `.journal.json.tmp-${process.pid}-${"ab".repeat(8)}`));

    expect(() => writeTextAtomic(file, "new\n", 0o600)).toThrow(/EEXIST/);

    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(readFileSync(file, "utf8")).toBe("old\n");
  });

  it("Given a normal write, When done, Then the file has the mode asked for and no temp file is left", () => {
    const file = join(dir, "state.json");

    writeTextAtomic(file, "x\n", 0o600);

    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("x\n");
    expect(readdirSync(dir).sort()).toEqual(["state.json", "victim"]);
  });
});

describe("doctor on the state directory's owner", () => {
  it("Given a state dir another user owns, When the doctor checks it, Then the check fails with the same message and fix", () => {
    const uid = process.getuid!();
    const fs: FsProbe = {
      stat: () => ({ mode: 0o700, dev: 1, isDirectory: true, uid: uid + 1 }),
      statfs: () => ({ totalBytes: 1, freeBytes: 1 }),
    };

    const c = checkStateDir("/var/lib/backup-tui", fs);

    expect(c.status).toBe("fail");
    expect(c.detail).toContain(`the state directory /var/lib/backup-tui is owned by`);
    expect(c.detail).toContain(`(uid ${uid + 1})`);
    expect(c.hint).toContain(`chown -R ${uid} /var/lib/backup-tui`);
    expect(
      checkStateDir("/var/lib/backup-tui", { ...fs, stat: () => ({ mode: 0o700, dev: 1, isDirectory: true, uid }) })
        .status,
    ).toBe("ok");
  });
});
