import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { hangingFake, killHard, start } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, execIn, writeStack } from "../../helpers/stacks";

const FAKE = join(ROOT, "test", "helpers", "fake-restic.sh");
const MiB = 1024 * 1024;
const jsonLines = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));

/** What a run recorded and reported: the figures a user reads in the summary, `snapshots`, `history` and `status`. */
describe("backup run results", () => {
  let w: TestWorld;
  let marker: string;
  const dirs: string[] = [];
  const fakes: number[] = [];

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    marker = join(w.dir, "fake.pid");
    restic(w, ["init", "-q"]);
    // 40 MiB of incompressible data written before the backup (over the hot pass's 32 MiB threshold): the hot pass carries it, the final pass almost nothing.
    const dir = writeStack(
      w.stacksDir,
      "media",
      {
        app: {
          volumes: ["data:/data"],
          command: `[ -f /data/blob ] || dd if=/dev/urandom of=/data/blob bs=1M count=40 2>/dev/null; touch /data/ready; trap 'exit 0' TERM; while true; do date > /data/clock; sleep 1; done`,
        },
      },
      ["data"],
    );
    dirs.push(dir);
    composeUp(dir);
    for (let i = 0; i < 100; i++) {
      try {
        execIn("media-app-1", "test -f /data/ready");
        break;
      } catch {
        execFileSleep(100);
      }
    }
  });
  afterEach(() => {
    for (const pid of fakes.splice(0)) killHard(pid);
    rmSync(marker, { force: true });
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("ADDED of a two-pass backup is what the run added (hot + final pass) and stays so after `snapshots --refresh` and a tag change", () => {
    const r = cli(w, ["backup", "media", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = jsonLines(r.stdout).find((e) => e.type === "summary");
    const added = summary.outcomes[0].bytesAdded as number;
    const id = summary.outcomes[0].snapshotId as string;
    expect(added).toBeGreaterThan(38 * MiB);
    expect(added).toBeLessThan(44 * MiB);
    expect(jsonLines(r.stdout).find((e) => e.type === "stack-start")).toMatchObject({ twoPass: true });
    // The newest media snapshot (protect gives it a new id).
    const listed = () =>
      (
        JSON.parse(cli(w, ["snapshots", "--stack", "media", "--json"]).stdout).snapshots as Array<{
          id: string;
          dataAdded?: number;
        }>
      )[0]?.dataAdded;
    expect(listed()).toBe(added);

    const refreshed = cli(w, ["snapshots", "--refresh", "--json"]);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(
      (
        JSON.parse(refreshed.stdout.trim().split("\n").pop()!).snapshots as Array<{ id: string; dataAdded?: number }>
      ).find((s) => s.id === id)?.dataAdded,
    ).toBe(added);
    // A tag change makes the catalog re-insert the snapshot from restic's list (whose summary holds the final pass only).
    expect(cli(w, ["protect", id.slice(0, 8)]).code).toBe(0);
    cli(w, ["snapshots", "--refresh"]);
    expect(listed()).toBe(added);
    const newId = (
      JSON.parse(cli(w, ["snapshots", "--stack", "media", "--json"]).stdout).snapshots as Array<{ id: string }>
    )[0].id;
    expect(newId).not.toBe(id);
    expect(cli(w, ["unprotect", newId.slice(0, 8)]).code).toBe(0);
    // The catalog rebuilt from scratch (another repository spelling, a fresh catalog): the run history still knows the figure.
    const table = cli(w, ["snapshots", "--refresh"], { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: `${w.repo}/` });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\b(39|4[0-3])\.\d MiB\b/);
  });

  it("a backup whose retention (forget) fails is partial: exit 3, history says partial", () => {
    const r = cli(w, ["backup", "media", "--json"], {
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
      BACKUP_TUI_LOCAL_BACKUP_AUTO_PRUNE: "true",
      FAKE_RESTIC_HANG_ON: "forget",
      FAKE_RESTIC_EXIT: "1",
      FAKE_RESTIC_MARKER: marker,
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/could not forget hot snapshots|retention failed/);
    const summary = jsonLines(r.stdout).find((e) => e.type === "summary");
    expect(summary).toMatchObject({ status: "partial", exitCode: 3 });
    const hist = JSON.parse(cli(w, ["history", "--json"]).stdout);
    expect(hist.runs[0]).toMatchObject({ kind: "backup", status: "partial", exitCode: 3 });
    expect(containerStates("media")).toEqual({ "media-app-1": "running" });
  });

  it("SIGINT mid-backup is recorded as interrupted with exit 130, in history and in status", async () => {
    const run = start(["backup", "media"], {
      ...w.env,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: FAKE,
      FAKE_RESTIC_HANG_ON: "kind:stack",
      FAKE_RESTIC_MARKER: marker,
    });
    fakes.push(await hangingFake(marker));
    run.child.kill("SIGINT");
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    expect(containerStates("media")).toEqual({ "media-app-1": "running" });
    const hist = JSON.parse(cli(w, ["history", "--json"]).stdout);
    expect(hist.runs[0]).toMatchObject({ kind: "backup", status: "interrupted", exitCode: 130 });
    expect(hist.runs[0].stacks).toEqual([expect.objectContaining({ stack: "media", status: "interrupted" })]);
    expect(cli(w, ["history"]).stdout).toMatch(/interrupted\s+130\s+media:interrupted/);
    const status = cli(w, ["status", "--json"]);
    const media = JSON.parse(status.stdout).stacks.find((s: { stack: string }) => s.stack === "media");
    expect(media.status).toBe("interrupted");
    expect(media.lastGood).toBeDefined(); // the earlier good backup is still the last good one
    expect(cli(w, ["status"]).stdout).toMatch(/media .*interrupted/);
  });
});

function execFileSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
