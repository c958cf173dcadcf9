import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import { acquireRepoLock } from "../../../src/state/lock";
import { currentOwner } from "../../../src/state/process-info";
import { silentLogger } from "../../../src/log";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";

// `unlock --remove-all` against a real restic repository: the confirmation gate, our own
// repository lock, and a live restic on this host all stop it before a lock is touched.
const CONFIRM = "unlock-Confirm-42";
let world: TestWorld;
let passwordFile: string;
const holders: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const locks = () => readdirSync(join(world.repo, "locks")).sort();

/** A restic backup reading a stdin we keep open: it holds a (shared) lock until we let go. */
async function liveResticLock(): Promise<ChildProcess> {
  const before = locks().length;
  const child = spawn("restic", ["backup", "--stdin", "--stdin-filename", "held", "-q"], {
    env: {
      ...process.env,
      RESTIC_REPOSITORY: world.repo,
      RESTIC_PASSWORD_FILE: world.passwordFile,
      RESTIC_PASSWORD: undefined,
    },
    stdio: ["pipe", "ignore", "ignore"],
  });
  holders.push(child);
  for (let i = 0; locks().length === before; i++) {
    if (i > 200) throw new Error("restic never took its lock");
    await sleep(50);
  }
  await sleep(500); // the lock file is complete (a kill while it is written leaves an unreadable one)
  return child;
}

/** A lock left by a restic that was killed: its holder is dead. */
async function deadResticLock(): Promise<void> {
  const child = await liveResticLock();
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await gone;
}

const unlockAll = (...extra: string[]) => cli(world, ["unlock", "--remove-all", ...extra]);

beforeAll(() => {
  ensureBinary();
  world = makeWorld();
  restic(world, ["init"]);
  passwordFile = join(world.dir, "confirm");
  writeFileSync(passwordFile, `${CONFIRM}\n`, { mode: 0o600 });
});

afterEach(async () => {
  for (const h of holders.splice(0)) {
    if (h.exitCode === null && h.signalCode === null) {
      const gone = new Promise((r) => h.once("exit", r));
      h.kill("SIGKILL");
      await gone;
    }
  }
  restic(world, ["unlock", "--remove-all"]);
});

afterAll(() => world?.cleanup());

describe("unlock --remove-all", () => {
  it("Given no confirmation password set and no terminal, When run without --yes, Then exit 2 and every lock is untouched", async () => {
    await deadResticLock();
    const live = await liveResticLock();
    const before = locks();
    expect(before).toHaveLength(2);
    const r = unlockAll();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/refusing to remove every restic lock .* without confirmation/);
    expect(locks()).toEqual(before);
    expect(live.exitCode).toBeNull();
  });

  it("Given a confirmation password, When run with --yes but no password, or a wrong one, Then exit 2 and every lock is untouched", async () => {
    appendFileSync(world.configFile, `[security]\nCONFIRM_PASSWORD_HASH=${hashConfirmPassword(CONFIRM)}\n`);
    await deadResticLock();
    const before = locks();
    const none = unlockAll("--yes");
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toMatch(/a confirmation password is required/);
    const wrongFile = join(world.dir, "wrong");
    writeFileSync(wrongFile, "not-it\n");
    const wrong = unlockAll("--yes", "--confirm-password-file", wrongFile);
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toMatch(/wrong confirmation password; nothing was changed/);
    expect(locks()).toEqual(before);
  });

  it("Given the right password and a live restic on this host, When run, Then exit 75 naming its PID, every lock untouched, restic still running", async () => {
    await deadResticLock();
    const live = await liveResticLock();
    const before = locks();
    const r = unlockAll("--yes", "--confirm-password-file", passwordFile);
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toContain(`PID ${live.pid} (shared lock since`);
    expect(r.stderr).toMatch(/nothing was removed/);
    expect(locks()).toEqual(before);
    expect(live.exitCode).toBeNull();
  });

  it("Given the right password while our own job holds the repository lock, When run, Then exit 75 and every lock is untouched", async () => {
    await deadResticLock();
    const before = locks();
    const ours = await acquireRepoLock({
      stateDir: world.stateDir,
      repository: world.repo,
      owner: currentOwner(hostname(), "backup-tui backup (test)"),
      log: silentLogger,
    });
    try {
      const r = unlockAll("--yes", "--confirm-password-file", passwordFile);
      expect(r.code, r.stderr).toBe(75);
      expect(locks()).toEqual(before);
    } finally {
      await ours.release();
    }
  });

  it("Given the right password and only a dead holder's lock, When run, Then exit 0 and the locks are gone, each listed", async () => {
    await deadResticLock();
    const [id] = locks();
    const r = unlockAll("--yes", "--confirm-password-file", passwordFile);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${id.slice(0, 8)} shared PID`);
    expect(locks()).toEqual([]);
  });
});
