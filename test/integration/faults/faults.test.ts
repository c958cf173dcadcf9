import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { alive, hangingFake, killHard, start, waitFor } from "../../helpers/processes";
import {
  composeDown,
  composeUp,
  containerEvents,
  containerStates,
  volumeMountpoint,
  writeStack,
} from "../../helpers/stacks";

const FAKE = join(ROOT, "test", "helpers", "fake-restic.sh");
/** Alive and not a zombie waiting for whoever inherited it. */
const runs = (pid: number) => alive(pid) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

describe("backup faults: nothing left stopped", () => {
  let w: TestWorld;
  let marker: string;
  const dirs: string[] = [];
  const fakes: number[] = [];
  const hangEnv = (on: string, extra: NodeJS.ProcessEnv = {}) => ({
    ...w.env,
    BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
    FAKE_RESTIC_HANG_ON: on,
    FAKE_RESTIC_MARKER: marker,
    ...extra,
  });
  const running = () => ({ "faulty-db-1": "running", "faulty-web-1": "running" });

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    marker = join(w.dir, "fake.pid");
    restic(w, ["init", "-q"]);
    const dir = writeStack(
      w.stacksDir,
      "faulty",
      { db: { volumes: ["db:/db"] }, web: { dependsOn: ["db"], volumes: ["db:/shared"] } },
      ["db"],
    );
    dirs.push(dir);
    composeUp(dir);
    // Over the hot pass's threshold (32 MiB): the backups here are two-pass.
    writeFileSync(join(volumeMountpoint("faulty_db"), "blob.bin"), randomBytes(40 * 1024 * 1024));
  });
  afterEach(() => {
    for (const pid of fakes.splice(0)) killHard(pid);
    rmSync(marker, { force: true });
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("kill -9 between stop and start: status flags it (exit 4), recover brings every container back, history says interrupted", async () => {
    const run = start(["backup", "faulty"], hangEnv("kind:stack"));
    const orphan = await hangingFake(marker);
    fakes.push(orphan);
    expect(containerStates("faulty")).toEqual({ "faulty-db-1": "exited", "faulty-web-1": "exited" });
    run.child.kill("SIGKILL");
    await run.done;
    // Its restic (a fake that ignores TERM) outlives it, until recovery stops it.
    expect(runs(orphan)).toBe(true);

    const status = cli(w, ["status"]);
    expect(status.code).toBe(4);
    expect(status.stdout).toContain("PENDING RECOVERY");
    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restarted: .*faulty-db-1/);
    expect(r.stdout).toMatch(new RegExp(`stopped, left running by a dead run: fake-restic.sh \\(pid ${orphan}\\)`));
    expect(runs(orphan)).toBe(false);
    expect(containerStates("faulty")).toEqual(running());
    expect(cli(w, ["status"]).code).toBe(0);
    const hist = JSON.parse(cli(w, ["history", "--json"]).stdout);
    expect(hist.runs[0]).toMatchObject({ kind: "backup", status: "interrupted" });
  });

  it("kill -9 mid hot pass leaves nothing stopped, and the next backup recovers and succeeds", async () => {
    const run = start(["backup", "faulty"], hangEnv("kind:hot"));
    fakes.push(await hangingFake(marker));
    run.child.kill("SIGKILL");
    await run.done;
    expect(containerStates("faulty")).toEqual(running());
    const r = cli(w, ["backup", "faulty"]);
    expect(r.code, r.stderr).toBe(0);
    expect(containerStates("faulty")).toEqual(running());
  });

  it("kill -9 mid retention (AUTO_PRUNE): the stack already runs; recover stops the orphaned forget, history says interrupted, the new snapshot is kept and the repository checks clean", async () => {
    const before = (JSON.parse(restic(w, ["snapshots", "--json", "--no-lock", "--tag", "kind:stack"])) as unknown[])
      .length;
    const run = start(
      ["backup", "faulty"],
      hangEnv("forget", { BACKUP_TUI_LOCAL_BACKUP_AUTO_PRUNE: "true", FAKE_RESTIC_IGNORE_TERM: "1" }),
    );
    const orphan = await hangingFake(marker);
    fakes.push(orphan);
    expect(containerStates("faulty")).toEqual(running());
    run.child.kill("SIGKILL");
    await run.done;
    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(pid ${orphan})`);
    expect(runs(orphan)).toBe(false);
    expect(containerStates("faulty")).toEqual(running());
    const hist = JSON.parse(cli(w, ["history", "--json"]).stdout);
    expect(hist.runs[0]).toMatchObject({ kind: "backup", status: "interrupted" });
    restic(w, ["unlock"]);
    restic(w, ["check", "-q"]);
    expect(
      (JSON.parse(restic(w, ["snapshots", "--json", "--no-lock", "--tag", "kind:stack"])) as unknown[]).length,
    ).toBe(before + 1);
  });

  it("the next backup run recovers what a killed run left stopped before it starts", async () => {
    const run = start(["backup", "faulty"], hangEnv("kind:stack"));
    fakes.push(await hangingFake(marker));
    run.child.kill("SIGKILL");
    await run.done;
    const r = cli(w, ["backup", "faulty"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/restarted .*faulty-/);
    expect(containerStates("faulty")).toEqual(running());
  });

  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
    ["SIGHUP", 129],
  ] as const) {
    it(`${signal} during the final pass stops restic, restarts the stack, exits ${code}`, async () => {
      const run = start(["backup", "faulty"], hangEnv("kind:stack"));
      const fake = await hangingFake(marker);
      fakes.push(fake);
      run.child.kill(signal);
      const res = await run.done;
      expect(res.code, res.stderr).toBe(code);
      expect(containerStates("faulty")).toEqual(running());
      expect(alive(fake)).toBe(false);
      expect(cli(w, ["status"]).stdout).toContain("pending recovery: none");
    });
  }

  it("a hung restic that ignores TERM is killed with its whole process group at BACKUP_TIMEOUT; the stack runs again", async () => {
    const run = start(
      ["backup", "faulty"],
      hangEnv("kind:stack", { FAKE_RESTIC_IGNORE_TERM: "1", BACKUP_TUI_LOCAL_BACKUP_BACKUP_TIMEOUT: "3" }),
    );
    const fake = await hangingFake(marker);
    fakes.push(fake);
    const res = await run.done;
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toMatch(/timed out/);
    expect(alive(fake)).toBe(false);
    expect(containerStates("faulty")).toEqual(running());
  });

  it("a second run while one holds the repository exits 75 naming the holder; --wait gives up after its bound", async () => {
    const run = start(["backup", "faulty"], hangEnv("kind:stack"));
    fakes.push(await hangingFake(marker));
    const second = cli(w, ["backup", "faulty"]);
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`pid ${run.child.pid}`);
    const t = Date.now();
    const waited = cli(w, ["backup", "faulty", "--wait", "2s"]);
    expect(waited.code).toBe(75);
    expect(Date.now() - t).toBeGreaterThanOrEqual(1900);
    run.child.kill("SIGTERM");
    expect((await run.done).code).toBe(143);
    expect(containerStates("faulty")).toEqual(running());
  });

  it("a container that fails to start again is named with its log, the run exits 4, and recover restarts it once fixed", () => {
    const dir = writeStack(
      w.stacksDir,
      "fragile",
      {
        app: {
          volumes: ["state:/state"],
          command: `if [ -f /state/broken ]; then echo "refusing: /state/broken exists"; exit 1; fi; trap 'exit 0' TERM; while true; do sleep 1; done`,
        },
      },
      ["state"],
    );
    dirs.push(dir);
    composeUp(dir);
    const mp = volumeMountpoint("fragile_state");
    // It only checks at start-up: it keeps running now and refuses to start after the backup.
    writeFileSync(join(mp, "broken"), "");
    const r2 = cli(w, ["backup", "fragile"]);
    expect(r2.code).toBe(4);
    expect(r2.stdout).toContain("fragile-app-1");
    expect(r2.stdout).toContain("refusing: /state/broken exists");
    expect(cli(w, ["status"]).code).toBe(4);
    rmSync(join(mp, "broken"));
    expect(cli(w, ["recover"]).code).toBe(0);
    expect(containerStates("fragile")).toEqual({ "fragile-app-1": "running" });
  });

  it("a stale restic lock left by a killed local restic is cleared automatically", async () => {
    // A real restic run killed with -9 leaves its lock behind; prune (exclusive) would trip on it.
    // It backs up its stdin, which stays open: it holds its lock until it is killed (no race with a quick finish).
    const { spawn } = await import("node:child_process");
    const child = spawn("restic", ["backup", "--stdin", "--stdin-filename", "endless"], {
      env: { ...process.env, RESTIC_REPOSITORY: w.repo, RESTIC_PASSWORD_FILE: w.passwordFile },
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.stdin!.on("error", () => {}); // EPIPE once it is killed
    child.stdin!.write(Buffer.alloc(1024 * 1024, 7));
    await waitFor(() => restic(w, ["list", "locks", "--no-lock"]).trim() !== "", 30_000, "restic to take its lock");
    child.kill("SIGKILL");
    await new Promise((r) => child.on("close", r));
    expect(restic(w, ["list", "locks", "--no-lock"]).trim()).not.toBe("");
    // forget --prune via AUTO_PRUNE needs an exclusive lock.
    const r = cli(w, ["backup", "faulty", "--json"], { BACKUP_TUI_LOCAL_BACKUP_AUTO_PRUNE: "true" });
    expect(r.code, r.stderr).toBe(0);
    const summary = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "summary");
    expect(summary.warnings).toEqual([]); // retention ran: a lock failure would be a warning
    expect(summary.retention).toEqual([{ stack: "faulty", removed: expect.any(Number) }]);
    expect(restic(w, ["list", "locks", "--no-lock"]).trim()).toBe("");
    expect(containerStates("faulty")).toEqual(running());
  });

  it("a failing pre-hook fails that stack without stopping anything", () => {
    const config = readFileSync(w.configFile, "utf8");
    writeFileSync(w.configFile, `${config}\n[stack:faulty]\nPRE_HOOK="echo cannot-prepare >&2; exit 7"\n`);
    const t0 = Date.now();
    const r = cli(w, ["backup", "faulty"]);
    writeFileSync(w.configFile, config); // the tests after this one back up with no hook
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("pre-hook failed");
    expect(containerEvents("faulty", t0).filter((e) => e.action === "die")).toEqual([]);
    expect(containerStates("faulty")).toEqual(running());
  });

  it("a repository re-created at the same path (the catalog's parent is gone) still backs up, and the next run re-reads the catalog", () => {
    expect(cli(w, ["backup", "faulty"]).code).toBe(0);
    rmSync(w.repo, { recursive: true, force: true });
    restic(w, ["init", "-q"]);
    const r = cli(w, ["backup", "faulty"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("is gone");
    const again = cli(w, ["backup", "faulty"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("is gone");
    expect(JSON.parse(restic(w, ["snapshots", "--json", "--tag", "kind:stack"]))).toHaveLength(2);
    expect(containerStates("faulty")).toEqual(running());
  });
});
