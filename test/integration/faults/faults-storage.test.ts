import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, type CliResult, type TestWorld } from "../../helpers/env";
import {
  composeDown,
  composeUp,
  containerEvents,
  containerStates,
  docker,
  volumeMountpoint,
  writeStack,
} from "../../helpers/stacks";

// Storage faults on a real dockerd with real restic: the repository's filesystem filling up
// during a backup (a 40 MiB tmpfs mounted at the repository path), a restore --target into a
// filesystem too small for the snapshot, and a repository damaged on disk (flipped bytes in a
// pack, a deleted pack, a deleted index file, a garbage snapshot file), each on its own copy,
// which verify must report and sync must refuse to push over a good cloud copy.

const MiB = 1024 * 1024;

// ---------------------------------------------------------------- small filesystems

const mounted: string[] = [];

/** Mounts a tmpfs of `size` (e.g. "40m") at dir (created when missing); afterAll unmounts it (unmountAll at exit as a last resort). */
function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  mounted.push(dir);
}

function unmount(dir: string): void {
  const i = mounted.indexOf(dir);
  if (i < 0) return;
  // Lazy as a fallback: a failed test must not leave a busy mount behind.
  if (spawnSync("umount", [dir], { stdio: "ignore" }).status !== 0)
    spawnSync("umount", ["-l", dir], { stdio: "ignore" });
  mounted.splice(i, 1);
}

function unmountAll(): void {
  for (const d of [...mounted].reverse()) unmount(d);
}

process.once("exit", unmountAll); // last resort when the worker dies before afterAll

/** Writes zeros into file until its filesystem is full (dd stops at ENOSPC). */
function fillUp(file: string): void {
  spawnSync("dd", ["if=/dev/zero", `of=${file}`, "bs=1M"], { stdio: "ignore" });
}

function freeBytes(dir: string): number {
  return Number(execFileSync("df", ["--output=avail", "-B1", dir], { encoding: "utf8" }).trim().split("\n").pop());
}

// ---------------------------------------------------------------- helpers

const allOutput = (r: CliResult) => r.stdout + r.stderr;
/** A JavaScript stack frame ("    at foo (file.js:1:2)"): never shown for a failure like these. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

const resticAt = (w: TestWorld, repo: string, args: string[]) =>
  execFileSync("restic", args, {
    env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: w.passwordFile, RESTIC_PASSWORD: undefined },
    encoding: "utf8",
    maxBuffer: 64 * MiB,
    stdio: ["ignore", "pipe", "pipe"],
  });

const snapshotIds = (w: TestWorld, repo = w.repo) =>
  (JSON.parse(resticAt(w, repo, ["snapshots", "--json", "--no-lock"])) as Array<{ id: string }>)
    .map((s) => s.id)
    .sort();

const resticLocks = (w: TestWorld, repo = w.repo) => resticAt(w, repo, ["list", "locks", "--no-lock"]).trim();

/** Every file under dir, largest first (full paths). */
function filesBySize(dir: string): string[] {
  const out: Array<{ p: string; size: number }> = [];
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) out.push({ p, size: statSync(p).size });
    }
  };
  visit(dir);
  return out.sort((a, b) => b.size - a.size).map((f) => f.p);
}

/** Inverts `count` bytes in the middle of a file, in place (size and name unchanged). */
function flipBytes(file: string, count = 16): void {
  chmodSync(file, 0o600);
  const fd = openSync(file, "r+");
  try {
    const at = Math.floor(statSync(file).size / 2);
    const buf = Buffer.alloc(count);
    readSync(fd, buf, 0, count, at);
    for (let i = 0; i < count; i++) buf[i] ^= 0xff;
    writeSync(fd, buf, 0, count, at);
  } finally {
    closeSync(fd);
  }
}

// ================================================================ A1: the repository's disk fills up

describe("out of disk: the repository's filesystem fills up during a backup", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  let first: string; // the snapshot taken while there was room
  let filled: CliResult | undefined; // the two-pass run that filled the disk
  const running = { "diskfull-app-1": "running" };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    // The repository path itself is a 40 MiB tmpfs: restic init fills the empty mount point.
    mountTmpfs(w.repo, "40m");
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "diskfull", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
    mp = volumeMountpoint("diskfull_data");
    writeFileSync(join(mp, "small.txt"), "fits easily\n");
    const r = cli(w, ["backup", "diskfull"]);
    expect(r.code, allOutput(r)).toBe(0);
    [first] = snapshotIds(w);
    expect(first).toBeDefined();
    // More random (incompressible) data than the repository's filesystem can hold.
    writeFileSync(join(mp, "big.bin"), randomBytes(80 * MiB));
  });
  afterAll(() => {
    if (dir) composeDown(dir);
    if (w) unmount(w.repo);
    w?.cleanup();
  });

  it("a two-pass backup that fills the disk fails with exit 1 naming the cause; the stack runs, nothing pending, no lock left, the earlier snapshot is intact and the repository checks clean", () => {
    filled = cli(w, ["backup", "diskfull"]);
    const out = allOutput(filled);
    expect(filled.code, out).toBe(1);
    expect(out).toContain("no space left on device");
    expect(filled.stdout).toMatch(/diskfull\s+failed/);
    expect(out).not.toMatch(STACK_FRAME);
    expect(freeBytes(w.repo)).toBeLessThan(16 * MiB); // it really ran into the wall
    expect(containerStates("diskfull")).toEqual(running);

    const status = cli(w, ["status"]);
    expect(status.code, allOutput(status)).toBe(0);
    expect(status.stdout).toContain("pending recovery: none");
    expect(status.stdout).toMatch(/diskfull\s.*failed/);
    expect(JSON.parse(cli(w, ["history", "--json", "--kind", "backup"]).stdout).runs[0]).toMatchObject({
      kind: "backup",
      status: "failed",
    });

    // restic exits cleanly on ENOSPC: it removes its own lock, so there is nothing to unlock.
    expect(resticLocks(w)).toBe("");
    expect(snapshotIds(w)).toEqual([first]);
    const listed = cli(w, ["snapshots", "--refresh", "--json"]);
    expect(listed.code, allOutput(listed)).toBe(0);
    const catalog = JSON.parse(
      listed.stdout
        .trim()
        .split("\n")
        .find((l) => l.includes('"type":"snapshots"'))!,
    ).snapshots as Array<{ id: string; kind: string }>;
    expect(catalog.map((s) => s.id)).toEqual([first]);

    // The user's check, then restic's own (reading every pack).
    const verify = cli(w, ["verify", "--level", "data"]);
    expect(verify.code, allOutput(verify)).toBe(0);
    expect(verify.stdout).toContain("data OK");
    expect(resticAt(w, w.repo, ["check", "--read-data"])).toContain("no errors were found");
  });

  it("--single-pass: the disk fills while the stack is stopped; it is started again (exit 1, nothing pending)", () => {
    const t0 = Date.now();
    const r = cli(w, ["backup", "diskfull", "--single-pass"]);
    expect(r.code, allOutput(r)).toBe(1);
    expect(allOutput(r)).toContain("no space left on device");
    expect(allOutput(r)).not.toMatch(STACK_FRAME);
    const actions = containerEvents("diskfull", t0).map((e) => e.action);
    expect(actions).toContain("die"); // it was stopped for the pass that failed...
    expect(actions.lastIndexOf("start")).toBeGreaterThan(actions.indexOf("die")); // ...and started after it
    expect(containerStates("diskfull")).toEqual(running);
    expect(cli(w, ["status"]).stdout).toContain("pending recovery: none");
    expect(resticLocks(w)).toBe("");
    expect(snapshotIds(w)).toEqual([first]);
  });

  it("a repository disk already 100% full: the backup fails at restic's lock (exit 1, says so) before anything is stopped", () => {
    const filler = join(w.repo, "filler");
    fillUp(filler);
    try {
      expect(freeBytes(w.repo)).toBeLessThan(64 * 1024);
      const t0 = Date.now();
      const r = cli(w, ["backup", "diskfull"]);
      expect(r.code, allOutput(r)).toBe(1);
      expect(allOutput(r)).toMatch(
        /unable to create lock.*no space left on device|no space left on device.*unable to create lock/,
      );
      expect(allOutput(r)).not.toMatch(STACK_FRAME);
      expect(containerEvents("diskfull", t0).filter((e) => e.action === "die")).toEqual([]);
      expect(containerStates("diskfull")).toEqual(running);
      expect(cli(w, ["status"]).stdout).toContain("pending recovery: none");
    } finally {
      rmSync(filler, { force: true });
    }
    expect(snapshotIds(w)).toEqual([first]);
  });

  it("after freeing room (the big file deleted from the volume) the next backup succeeds and the repository checks clean", () => {
    rmSync(join(mp, "big.bin"));
    writeFileSync(join(mp, "after.txt"), "written after the disk was full\n");
    const r = cli(w, ["backup", "diskfull"]);
    expect(r.code, allOutput(r)).toBe(0);
    expect(containerStates("diskfull")).toEqual(running);
    const ids = snapshotIds(w);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(first);
    const files = resticAt(w, w.repo, ["ls", "latest", mp]);
    expect(files).toContain(join(mp, "after.txt"));
    expect(files).not.toContain("big.bin");
    expect(resticAt(w, w.repo, ["check"])).toContain("no errors were found");
    // What a user runs after such a night: harmless when nothing is stale.
    const unlock = cli(w, ["unlock"]);
    expect(unlock.code, allOutput(unlock)).toBe(0);
    expect(resticLocks(w)).toBe("");
  });

  // PRODUCT BUG (minor, reported): the failure message embeds restic's raw JSON exit_error line
  // (`restic failed (exit 1): {"message_type":"exit_error","code":1,"message":"Fatal: ...
  // no space left on device"}`), printed three times, with no hint (README: "says clearly what
  // went wrong ... and a hint"). restic.ts classify() has no case for ENOSPC and the runner
  // quotes the last stderr line verbatim. Flip to `it` once the message is plain text.
  it("the out-of-space failure is plain text (not restic's raw JSON) and comes with a hint", () => {
    expect(filled).toBeDefined();
    const out = allOutput(filled!);
    expect(out).not.toContain('"message_type"');
    expect(out).toMatch(/^hint: /m);
  });
});

// ================================================================ A2: a restore target too small

describe("out of disk: restore --target into a filesystem too small for the snapshot", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  let target: string;
  let failed: CliResult | undefined;
  const running = { "restfull-app-1": "running" };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "restfull", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
    mp = volumeMountpoint("restfull_data");
    mkdirSync(join(mp, "docs"));
    for (let i = 0; i < 5; i++) writeFileSync(join(mp, "docs", `doc-${i}.txt`), `document ${i}\n`.repeat(50));
    writeFileSync(join(mp, "blob.bin"), randomBytes(6 * MiB));
    const r = cli(w, ["backup", "restfull"]);
    expect(r.code, allOutput(r)).toBe(0);
    target = join(w.dir, "small-target");
    mountTmpfs(target, "4m");
  });
  afterAll(() => {
    if (dir) composeDown(dir);
    if (target) unmount(target);
    w?.cleanup();
  });

  it("is refused with exit 1 before anything is written, leaves live data, containers and snapshots as they were; a target with room then restores it exactly", () => {
    const live = treeDigest(mp);
    const snaps = snapshotIds(w);
    const t0 = Date.now();
    failed = cli(w, ["restore", "--stack", "restfull", "--target", target]);
    const out = allOutput(failed);
    expect(failed.code, out).toBe(1);
    expect(failed.stderr).toMatch(/^error: /m);
    expect(out).not.toMatch(STACK_FRAME);
    expect(readdirSync(target)).toEqual([]); // refused before restic wrote a byte

    expect(treeDigest(mp)).toEqual(live);
    expect(containerEvents("restfull", t0).filter((e) => e.action === "die")).toEqual([]);
    expect(containerStates("restfull")).toEqual(running);
    expect(snapshotIds(w)).toEqual(snaps); // --target takes no safety snapshot
    const status = cli(w, ["status"]);
    expect(status.stdout).toContain("pending recovery: none");
    expect(readdirSync(join(mp, "..")).filter((n) => n.startsWith(".backup-tui"))).toEqual([]);

    const roomy = join(w.dir, "roomy-target");
    mkdirSync(roomy);
    const ok = cli(w, ["restore", "--stack", "restfull", "--target", roomy]);
    expect(ok.code, allOutput(ok)).toBe(0);
    expect(treeDigest(join(roomy, mp))).toEqual(live);
  });

  it("the error says the target has no room for the snapshot, with what it needs and has", () => {
    expect(failed).toBeDefined();
    expect(allOutput(failed!)).toMatch(
      /not enough room to restore: the copies of .+ need 6\.\d MiB on the filesystem of \S+small-target, which has 4\.0 MiB free/,
    );
    expect(allOutput(failed!)).toMatch(/Restore under a --target on a filesystem with 6\.\d MiB free/);
  });
});

describe("out of disk: restore in place when the live filesystem has no room for the restored copy", () => {
  let w: TestWorld;
  let dir: string;
  const running = { "tight-app-1": "running" };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    // The whole stacks directory is a 12 MiB tmpfs: 7 MiB of data fit once, not twice.
    mountTmpfs(w.stacksDir, "12m");
    dir = writeStack(w.stacksDir, "tight", { app: { volumes: ["./data:/data"] } });
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "blob.bin"), randomBytes(7 * MiB));
    writeFileSync(join(dir, "data", "note.txt"), "as backed up\n");
    composeUp(dir);
    const r = cli(w, ["backup", "tight"]);
    expect(r.code, allOutput(r)).toBe(0);
    writeFileSync(join(dir, "data", "note.txt"), "changed after the backup\n");
  });
  afterAll(() => {
    if (dir) composeDown(dir);
    if (w) unmount(w.stacksDir);
    w?.cleanup();
  });

  it("is refused before anything stops or is written (exit 1, what it needs and has, the --target way); the dry run says the same; the repository checks clean", () => {
    const live = treeDigest(dir);
    const started = docker(["inspect", "-f", "{{.State.StartedAt}}", "tight-app-1"]).trim();
    const dry = cli(w, ["restore", "--stack", "tight", "--dry-run"]);
    expect(dry.code, allOutput(dry)).toBe(1);
    expect(allOutput(dry)).toMatch(/not enough room to restore/);
    const r = cli(w, ["restore", "--stack", "tight", "--yes"]);
    const out = allOutput(r);
    expect(r.code, out).toBe(1);
    expect(out).toMatch(
      /not enough room to restore: the copies of .+ need 7\.\d MiB on the filesystem of \S+, which has \d+(\.\d)? [KM]iB free; nothing was stopped or written/,
    );
    expect(out).toMatch(/restore with --target DIR on a filesystem with 7\.\d MiB free/);
    // Never stopped: the container's start time is the one from before.
    expect(docker(["inspect", "-f", "{{.State.StartedAt}}", "tight-app-1"]).trim()).toBe(started);
    expect(out).not.toMatch(STACK_FRAME);
    expect(treeDigest(dir)).toEqual(live);
    expect(containerStates("tight")).toEqual(running);
    expect(readdirSync(w.stacksDir)).toEqual(["tight"]);
    expect(cli(w, ["status"]).stdout).toContain("pending recovery: none");
    expect(resticLocks(w)).toBe("");
    expect(() => resticAt(w, w.repo, ["check"])).not.toThrow();
  });
});

// ================================================================ B: a damaged repository

type Damage = "flipped-pack" | "deleted-pack" | "deleted-index" | "garbage-snapshot";

describe("a damaged repository: verify names the damage, sync refuses to push it over a good cloud copy", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  const copies = {} as Record<Damage, { repo: string; cloud: string; cloudBefore: Record<string, string>; id: string }>;

  const cloudEnv = (path: string, repo?: string): NodeJS.ProcessEnv => ({
    RCLONE_CONFIG_CLOUD_TYPE: "local",
    BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: "cloud",
    BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: path,
    BACKUP_TUI_RETRY_BASE_MS: "200",
    ...(repo ? { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: repo } : {}),
  });

  /** Damages a fresh copy of the good repository; returns what was damaged (pack, index or snapshot id). */
  const damage: Record<Damage, (repo: string) => string> = {
    "flipped-pack": (repo) => {
      const pack = filesBySize(join(repo, "data"))[0]; // the largest pack holds file data
      flipBytes(pack);
      return pack.split("/").pop()!;
    },
    "deleted-pack": (repo) => {
      const pack = filesBySize(join(repo, "data"))[0];
      rmSync(pack);
      return pack.split("/").pop()!;
    },
    "deleted-index": (repo) => {
      const index = filesBySize(join(repo, "index"))[0];
      rmSync(index);
      return index.split("/").pop()!;
    },
    "garbage-snapshot": (repo) => {
      const id = randomBytes(32).toString("hex");
      writeFileSync(join(repo, "snapshots", id), randomBytes(300));
      return id;
    },
  };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "vault", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
    mp = volumeMountpoint("vault_data");
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(mp, `chunk-${i}.bin`), randomBytes(2 * MiB));
      writeFileSync(join(mp, "ledger.txt"), `entry ${i}\n`.repeat(100 * (i + 1)));
      const r = cli(w, ["backup", "vault"]);
      expect(r.code, allOutput(r)).toBe(0);
    }
    expect(snapshotIds(w)).toHaveLength(3);
    expect(resticAt(w, w.repo, ["check", "--read-data"])).toContain("no errors were found");

    for (const kind of Object.keys(damage) as Damage[]) {
      // The good repository mirrored first: the cloud copy a damaged local one must not replace.
      const cloud = join(w.dir, `cloud-${kind}`);
      const s = cli(w, ["sync"], cloudEnv(cloud));
      expect(s.code, allOutput(s)).toBe(0);
      const repo = join(w.dir, `damaged-${kind}`);
      execFileSync("cp", ["-a", w.repo, repo]);
      const id = damage[kind](repo);
      copies[kind] = { repo, cloud, cloudBefore: treeDigest(cloud), id };
    }
  });
  afterAll(() => {
    if (dir) composeDown(dir);
    w?.cleanup();
  });

  /** The ids of every blob an index file of the good repository lists. */
  const indexedBlobs = (indexId: string) =>
    (
      JSON.parse(resticAt(w, w.repo, ["cat", "index", indexId, "--no-lock"])) as {
        packs: Array<{ blobs: Array<{ id: string }> }>;
      }
    ).packs.flatMap((p) => p.blobs.map((b) => b.id));

  /** What restic check says about each damage (the id of what was damaged, where restic names it). */
  const expected: Record<Damage, { levels: Array<"metadata" | "data">; says: (id: string) => RegExp }> = {
    // Only reading the data notices a pack whose content no longer matches its name.
    "flipped-pack": { levels: ["data"], says: (id) => new RegExp(`restic repair packs ${id}`) },
    "deleted-pack": { levels: ["metadata", "data"], says: (id) => new RegExp(`pack ${id}: does not exist`) },
    // Blobs the deleted index listed are unknown now: restic names them ("blob ID not found in
    // index", or "id ID not found in repository" for a tree), whichever the lost index covered.
    "deleted-index": {
      levels: ["metadata", "data"],
      says: (id) => new RegExp(`(${indexedBlobs(id).join("|")}) not found in (index|repository)`),
    },
    "garbage-snapshot": {
      levels: ["metadata", "data"],
      says: (id) => new RegExp(`failed to load snapshot ${id.slice(0, 8)}`),
    },
  };

  for (const kind of Object.keys(expected) as Damage[]) {
    it(`${kind}: verify ${expected[kind].levels.map((l) => `--level ${l}`).join(" and ")} exit 1 naming the damage`, () => {
      const c = copies[kind];
      for (const level of expected[kind].levels) {
        const r = cli(w, ["verify", "--level", level], { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: c.repo });
        const out = allOutput(r);
        expect(r.code, out).toBe(1);
        expect(r.stdout).toContain(`VERIFICATION FAILED for ${c.repo} (${level})`);
        expect(out).toMatch(expected[kind].says(c.id));
        expect(out).not.toMatch(STACK_FRAME);
        const history = JSON.parse(
          cli(w, ["history", "--json", "--kind", "verify"], { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: c.repo })
            .stdout,
        ).runs;
        expect(history[0]).toMatchObject({ kind: "verify", status: "failed" });
      }
    });
  }

  it("the good repository (the source of every copy) still verifies at --level data", () => {
    const r = cli(w, ["verify", "--level", "data"]);
    expect(r.code, allOutput(r)).toBe(0);
    expect(r.stdout).toContain("data OK");
  });

  const refuses = (kind: Damage) => () => {
    const c = copies[kind];
    const r = cli(w, ["sync"], cloudEnv(c.cloud, c.repo));
    const out = allOutput(r);
    expect(r.code, out).toBe(1);
    expect(r.stderr).toContain("the local repository fails `restic check`: not copying it over the cloud copy");
    expect(out).not.toMatch(STACK_FRAME);
    expect(treeDigest(c.cloud)).toEqual(c.cloudBefore); // byte-identical, every file
    expect(existsSync(`${c.cloud}.deleted`)).toBe(false); // nothing moved aside either
  };

  for (const kind of ["deleted-pack", "deleted-index", "garbage-snapshot"] as const) {
    it(`${kind}: sync refuses (exit 1) and the cloud copy stays byte-identical`, refuses(kind));
  }

  // PRODUCT BUG (reported): sync's guard runs a plain `restic check` (metadata only), which does
  // not read pack contents; a pack with flipped bytes passes it, and rclone then copies the
  // damaged pack over the good one in the cloud (same name and size, newer mtime). The sync exits
  // 0 and says "the cloud copy matches the local repository"; the good pack survives only under
  // RCLONE_PATH.deleted/DATE (KEEP_DELETED_DAYS). Flip to `it` once sync refuses to replace
  // existing pack files with different content (packs are content-addressed and never change).
  // restic check (metadata) passes a flipped byte in a pack; rclone --immutable --size-only never
  // rewrites an existing file, and the check after the sync names the difference.
  it("flipped-pack: sync refuses (exit 1) and the cloud copy stays byte-identical", () => {
    const c = copies["flipped-pack"];
    const r = cli(w, ["sync"], cloudEnv(c.cloud, c.repo));
    const out = allOutput(r);
    expect(r.code, out).toBe(1);
    expect(out).toContain("THE CLOUD COPY DIFFERS from the local repository");
    expect(out).toMatch(/data\/[0-9a-f]{2}\/[0-9a-f]{64}/);
    expect(out).not.toMatch(STACK_FRAME);
    expect(treeDigest(c.cloud)).toEqual(c.cloudBefore);
    expect(existsSync(`${c.cloud}.deleted`)).toBe(false);
  });
});
