import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { allCommandLines, start, waitFor } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";

const MiB = 1024 * 1024;
const startedAt = (c: string) => docker(["inspect", "-f", "{{.State.StartedAt}}", c]).trim();
const running = { "vault-db-1": "running" };

/** Bytes a tree really holds on disk (restic preallocates files: their size says nothing of what is written). */
function allocated(root: string): number {
  let n = 0;
  const visit = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    n += st.blocks * 512;
    if (st.isDirectory()) for (const c of readdirSync(p)) visit(join(p, c));
  };
  visit(root);
  return n;
}

function writeRandom(file: string, bytes: number): void {
  const fd = openSync(file, "w");
  for (let left = bytes; left > 0; left -= MiB) writeSync(fd, randomBytes(Math.min(MiB, left)));
  closeSync(fd);
}

describe("a restore killed mid-way: recover finishes only what was completely staged (real restic, real stack)", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  let snapshotData: Record<string, string>;
  let snapshotDir: Record<string, string>;
  const leftovers = () =>
    [dirname(mp), mp, join(mp, "notes"), w.stacksDir]
      .filter((d) => existsSync(d))
      .flatMap((d) => readdirSync(d).filter((n) => n.startsWith(".backup-tui")));
  const copies = () =>
    [dirname(mp), mp].flatMap((d) =>
      readdirSync(d)
        .filter((n) => n.startsWith(".backup-tui-restore-"))
        .map((n) => join(d, n)),
    );
  const resticsOfOurs = () =>
    allCommandLines().filter(
      (p) => p.argv.includes("restic") && p.argv.includes(" restore ") && p.argv.includes(w.dir),
    );
  const journal = () => {
    const d = join(w.stateDir, "restore-journal");
    return existsSync(d)
      ? readdirSync(d)
          .filter((n) => n.endsWith(".json"))
          .map((n) => JSON.parse(readFileSync(join(d, n), "utf8")) as { live: string; state?: string })
      : [];
  };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "vault", { db: { volumes: ["data:/data"] } }, ["data"]);
    writeFileSync(join(dir, "app.conf"), "mode=production\n");
    composeUp(dir);
    mp = volumeMountpoint("vault_data");
    for (let i = 1; i <= 3; i++) writeRandom(join(mp, `big-${i}.bin`), 100 * MiB);
    mkdirSync(join(mp, "notes", "sub"), { recursive: true });
    writeFileSync(join(mp, "notes", "a.txt"), "note a\n");
    writeFileSync(join(mp, "notes", "b.txt"), "note b\n");
    writeFileSync(join(mp, "notes", "sub", "c.txt"), "note c\n");
    const b = cli(w, ["backup", "vault"]);
    expect(b.code, b.stderr).toBe(0);
    snapshotData = treeDigest(mp);
    snapshotDir = treeDigest(dir);
    // What the service wrote since: the restore would roll all of it back.
    writeFileSync(join(dir, "app.conf"), "mode=edited-after-the-backup\n");
    writeRandom(join(mp, "big-2.bin"), 100 * MiB);
    writeFileSync(join(mp, "notes", "a.txt"), "note a, edited\n");
  }, 300_000);
  afterAll(() => {
    composeDown(dir);
    w?.cleanup();
  });

  it("kill -9 while restic writes the 300 MB volume's copy: recover leaves the volume and the stack directory byte-identical, removes the copy, the container runs", async () => {
    const beforeData = treeDigest(mp);
    const beforeDir = treeDigest(dir);
    const run = start(["restore", "--stack", "vault", "--yes"], w.env);
    // The volume's copy is being written beside it: some of it on disk, not all.
    await waitFor(
      () => copies().some((d) => allocated(d) > 40 * MiB),
      180_000,
      "restic to write part of the volume's copy",
    );
    run.child.kill("SIGKILL");
    await run.done;
    const copied = allocated(copies()[0]);
    expect(journal().find((e) => e.live === mp)?.state ?? "writing").toBe("writing");

    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr).toBe(0);
    expect(treeDigest(mp)).toEqual(beforeData);
    expect(treeDigest(dir)).toEqual(beforeDir);
    expect(containerStates("vault")).toEqual(running);
    expect(leftovers()).toEqual([]);
    expect(journal()).toEqual([]);
    expect(resticsOfOurs()).toEqual([]);
    expect(r.stdout).toContain(`interrupted restore of ${mp}: discarded`);
    console.log(
      `killed with ${(copied / MiB).toFixed(0)} MiB of the 300 MiB copy written; recover: ${r.stdout.trim().split("\n").join(" | ")}`,
    );
  }, 300_000);

  it("kill -9 while restic writes a deleted 100 MB file back (--file): recover does not put the partial copy in its place, the file stays absent as before", async () => {
    const file = join(mp, "big-3.bin");
    rmSync(file);
    const beforeData = treeDigest(mp);
    const run = start(["restore", "--stack", "vault", "--file", file, "--yes"], w.env);
    await waitFor(
      () => copies().some((d) => allocated(d) > 20 * MiB),
      180_000,
      "restic to write part of the file's copy",
    );
    run.child.kill("SIGKILL");
    await run.done;
    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(treeDigest(mp)).toEqual(beforeData);
    expect(containerStates("vault")).toEqual(running);
    expect(leftovers()).toEqual([]);
    expect(journal()).toEqual([]);
    expect(r.stdout).toContain(`interrupted restore of ${file}: discarded`);
    // Put back by a restore that runs to its end (the next tests start from the whole volume).
    const again = cli(w, ["restore", "--stack", "vault", "--file", file, "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(treeDigest(mp)["big-3.bin"]).toBe(snapshotData["big-3.bin"]);
  }, 300_000);

  it("positive control: kill -9 once every copy is complete and the safety snapshot taken: recover finishes the swap to the snapshot's content and restarts the container", async () => {
    const safetyBefore = JSON.parse(restic(w, ["snapshots", "--json", "--tag", "kind:pre-restore"])).length;
    const marker = join(w.dir, "paused.pid");
    const run = start(["restore", "--stack", "vault", "--yes"], {
      ...w.env,
      BACKUP_TUI_TEST_PAUSE_AT: "restore-before-swap",
      BACKUP_TUI_TEST_PAUSE_MARKER: marker,
    });
    let ended = false;
    void run.done.then(() => (ended = true));
    await waitFor(() => existsSync(marker) || ended, 240_000, "the restore to reach the swap");
    expect(existsSync(marker), "the restore ran to its end without pausing before the swap").toBe(true);
    expect(journal().map((e) => e.state)).toEqual(["ready", "ready"]);
    expect(containerStates("vault")).toEqual({ "vault-db-1": "exited" });
    run.child.kill("SIGKILL");
    await run.done;

    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`interrupted restore of ${mp}: completed`);
    expect(treeDigest(mp)).toEqual(snapshotData);
    expect(treeDigest(dir)).toEqual(snapshotDir);
    expect(containerStates("vault")).toEqual(running);
    expect(JSON.parse(restic(w, ["snapshots", "--json", "--tag", "kind:pre-restore"]))).toHaveLength(safetyBefore + 1);
    expect(leftovers()).toEqual([]);
    expect(journal()).toEqual([]);
  }, 300_000);

  it("restore --file of a file that does not exist live adds it without stopping the container (StartedAt unchanged); the dry run says it stops nothing and why", () => {
    const file = join(mp, "notes", "a.txt");
    rmSync(file);
    rmSync(join(mp, "notes", "sub"), { recursive: true });
    const since = startedAt("vault-db-1");
    const dry = cli(w, ["restore", "--stack", "vault", "--file", file, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`It stops nothing: it only adds ${file}, which does not exist now`);
    const r = cli(w, ["restore", "--stack", "vault", "--file", file, "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("note a\n");
    // A file in a folder that is gone too: the folder is placed whole, still without a stop.
    const nested = join(mp, "notes", "sub", "c.txt");
    const r2 = cli(w, ["restore", "--stack", "vault", "--file", nested, "--yes"]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(readFileSync(nested, "utf8")).toBe("note c\n");
    expect(r.stdout + r2.stdout).not.toContain("downtime");
    expect(startedAt("vault-db-1")).toBe(since);
    expect(containerStates("vault")).toEqual(running);
    expect(leftovers()).toEqual([]);
  }, 300_000);

  it("restore --file of a file that exists: the dry run says which container stops and why, and the restore stops it and starts it again", () => {
    const file = join(mp, "notes", "b.txt");
    writeFileSync(file, "note b, edited\n");
    const since = startedAt("vault-db-1");
    const dry = cli(w, ["restore", "--stack", "vault", "--file", file, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      `It stops vault-db-1 while the data is swapped in, then starts it again: it replaces ${file}`,
    );
    const r = cli(w, ["restore", "--stack", "vault", "--file", file, "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("note b\n");
    expect(startedAt("vault-db-1")).not.toBe(since);
    expect(containerStates("vault")).toEqual(running);
  }, 300_000);
});
