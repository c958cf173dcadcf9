import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { start, waitFor } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";

const MiB = 1024 * 1024;
const running = { "tick-app-1": "running" };
/** The service appends "<epoch seconds> <n>" to its log every 50 ms, as a database's WAL would grow. */
const WRITER = `trap 'exit 0' TERM; i=0; while true; do i=$$((i+1)); echo "$$(date +%s) $$i" >> /data/writer.log; sleep 0.05 & wait $$!; done`;
const withoutLog = (d: Record<string, string>) => {
  const { "writer.log": _, ...rest } = d;
  return rest;
};

/** docker events of the project since `sinceMs`: action and time (ms). */
function events(sinceMs: number): Array<{ action: string; at: number }> {
  const out = docker([
    "events",
    "--since",
    (sinceMs / 1000 - 1).toFixed(3),
    "--until",
    (Date.now() / 1000).toFixed(3),
    "--filter",
    "type=container",
    "--filter",
    "label=com.docker.compose.project=tick",
    "--format",
    "{{.TimeNano}} {{.Action}}",
  ]);
  return out
    .trim()
    .split("\n")
    .filter((l) => /^\d+ (die|start|stop|kill)$/.test(l))
    .map((l) => l.split(" "))
    .map(([t, action]) => ({ action, at: Number(BigInt(t) / 1_000_000n) }))
    .filter((e) => e.at >= sinceMs);
}

describe("restore in place while the service writes: one short stop, a safety snapshot of the data just before it, and kill -9 at every phase leaves old or new data (real restic, real stack)", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  let snapData: Record<string, string>;
  let snapDir: Record<string, string>;
  const journal = () => {
    const d = join(w.stateDir, "restore-journal");
    return existsSync(d) ? readdirSync(d).filter((n) => n.endsWith(".json")) : [];
  };
  const leftovers = () =>
    [dirname(mp), w.stacksDir].flatMap((d) => readdirSync(d).filter((n) => n.startsWith(".backup-tui")));
  const snapshots = (tag: string) =>
    JSON.parse(restic(w, ["snapshots", "--json", "--tag", tag])) as Array<{ id: string; parent?: string }>;
  /** Changes made after the backup: what a restore rolls back. */
  const edit = (n: number) => {
    writeFileSync(join(mp, "big-1.bin"), randomBytes(24 * MiB));
    writeFileSync(join(dir, "app.conf"), `edited ${n}\n`);
  };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "tick", { app: { command: WRITER, volumes: ["data:/data"] } }, ["data"]);
    writeFileSync(join(dir, "app.conf"), "original\n");
    composeUp(dir);
    mp = volumeMountpoint("tick_data");
    // Over the hot pass's threshold (32 MiB): the safety snapshot is taken in two passes.
    for (let i = 1; i <= 2; i++) writeFileSync(join(mp, `big-${i}.bin`), randomBytes(24 * MiB));
    writeFileSync(join(mp, "small.txt"), "small\n");
    const b = cli(w, ["backup", "tick"]);
    expect(b.code, b.stderr).toBe(0);
    snapData = withoutLog(treeDigest(mp));
    snapDir = treeDigest(dir);
  }, 300_000);
  afterAll(() => {
    composeDown(dir);
    w?.cleanup();
  });

  it("one die and one start; the data equals the snapshot; the safety snapshot (parent: the forgotten hot pass) holds what was written up to the stop", async () => {
    edit(0);
    const before = withoutLog(treeDigest(mp));
    const t0 = Date.now();
    const r = cli(w, ["restore", "--stack", "tick", "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const ev = events(t0);
    expect(ev.filter((e) => e.action === "die")).toHaveLength(1);
    expect(ev.filter((e) => e.action === "start")).toHaveLength(1);
    const die = ev.find((e) => e.action === "die")!.at;
    const downMs = ev.find((e) => e.action === "start")!.at - die;
    console.log(`stop window by docker events: ${downMs} ms`);
    expect(downMs).toBeLessThan(4000); // the target (1.5 s) is measured by scripts/bench/restore.mjs on an idle machine
    expect(withoutLog(treeDigest(mp))).toEqual(snapData);
    expect(treeDigest(dir)).toEqual(snapDir);
    expect(containerStates("tick")).toEqual(running);
    expect(r.stdout).toContain("hot pass while the stack runs");
    expect(r.stdout).toContain("kept aside while the stack runs");

    const [safety] = snapshots("kind:pre-restore");
    expect(safety.parent, "the final pass had the hot pass as parent").toBeTruthy();
    expect(snapshots("kind:hot").map((s) => s.id)).not.toContain(safety.parent);
    // The safety snapshot is the data as it was at the stop: the edit, and the log up to the stop.
    const paths = JSON.parse(restic(w, ["ls", "--json", safety.id]).split("\n")[0]).paths as string[];
    expect(paths).toContain(mp);
    const kept = restic(w, ["dump", safety.id, join(mp, "writer.log")])
      .trim()
      .split("\n");
    const lastSec = Number(kept.at(-1)!.split(" ")[0]);
    expect(lastSec * 1000).toBeGreaterThanOrEqual(die - 2000);
    const big = execFileSync("restic", ["dump", safety.id, join(mp, "big-1.bin")], {
      env: { ...process.env, RESTIC_REPOSITORY: w.repo, RESTIC_PASSWORD_FILE: w.passwordFile },
      maxBuffer: 64 * MiB,
    });
    expect(before["big-1.bin"]).not.toBe(snapData["big-1.bin"]);
    expect(createHash("sha256").update(big).digest("hex")).toBe(before["big-1.bin"]);
    // The catalog knew the safety snapshot without a refresh.
    const list = cli(w, ["snapshots", "--json", "--tag", "kind:pre-restore"]);
    expect(list.stdout).toContain(safety.id.slice(0, 8));
  }, 300_000);

  for (const [step, expectNew] of [
    ["restore-after-hot-pass", false],
    ["restore-stopped", false],
    ["restore-mid-swap", true],
    ["restore-before-kept-safety", true],
  ] as const) {
    it(`kill -9 at ${step}: recover leaves ${expectNew ? "the restored" : "the old"} data, never a mix, and the service running`, async () => {
      edit(1);
      const oldData = withoutLog(treeDigest(mp));
      const oldDir = treeDigest(dir);
      const safetyBefore = snapshots("kind:pre-restore").length;
      const marker = join(w.dir, `${step}.pid`);
      const run = start(["restore", "--stack", "tick", "--yes"], {
        ...w.env,
        BACKUP_TUI_TEST_PAUSE_AT: step,
        BACKUP_TUI_TEST_PAUSE_MARKER: marker,
      });
      let ended = false;
      void run.done.then(() => (ended = true));
      await waitFor(() => existsSync(marker) || ended, 240_000, `the restore to reach ${step}`);
      expect(existsSync(marker), `the restore ended without reaching ${step}`).toBe(true);
      const runsNow = step === "restore-after-hot-pass" || step === "restore-before-kept-safety";
      expect(containerStates("tick")).toEqual(runsNow ? running : { "tick-app-1": "exited" });
      run.child.kill("SIGKILL");
      await run.done;

      const r = cli(w, ["recover"]);
      expect(r.code, r.stderr).toBe(0);
      const data = withoutLog(treeDigest(mp));
      const stackDir = treeDigest(dir);
      if (expectNew) {
        expect(data).toEqual(snapData);
        expect(stackDir).toEqual(snapDir);
        // The data replaced was kept aside; recover took its safety snapshot, then removed it.
        expect(r.stdout).toMatch(/safety snapshot [0-9a-f]{8} \(kind:pre-restore\) taken/);
        const after = snapshots("kind:pre-restore");
        expect(after).toHaveLength(safetyBefore + 1);
        const big = execFileSync("restic", ["dump", after.at(-1)!.id, join(mp, "big-1.bin")], {
          env: { ...process.env, RESTIC_REPOSITORY: w.repo, RESTIC_PASSWORD_FILE: w.passwordFile },
          maxBuffer: 64 * MiB,
        });
        expect(createHash("sha256").update(big).digest("hex")).toBe(oldData["big-1.bin"]);
        const parent = (after.at(-1) as { parent?: string }).parent;
        expect(parent, "the kept data's pass had the hot pass as parent").toBeTruthy();
        expect(snapshots("kind:hot").map((x) => x.id)).not.toContain(parent);
      } else {
        expect(data).toEqual(oldData);
        expect(stackDir).toEqual(oldDir);
      }
      expect(containerStates("tick")).toEqual(running);
      expect(journal()).toEqual([]);
      expect(leftovers()).toEqual([]);
      expect(readFileSync(join(mp, "writer.log"), "utf8").length).toBeGreaterThan(0);
    }, 300_000);
  }
});
