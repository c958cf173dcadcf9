import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";

// Issue 16 item 13: the progress a sync and a pull print is true (rclone's final stats, 100%, no
// "stalled" for a transfer that finished), and a dry run says "would sync" and is not recorded as a sync.
// Real rclone against `rclone serve webdav` on loopback; the repository is written by real restic.

const MiB = 1024 * 1024;
let w: TestWorld;
let server: RcloneServer;
const env = (path: string): NodeJS.ProcessEnv => ({
  ...remoteEnv("cloud", server),
  BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: "cloud",
  BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: path,
  BACKUP_TUI_RETRY_BASE_MS: "200",
});
/** The progress lines of a run without a terminal (printed "  sync ..." / "  pull ..."). */
const progressLines = (stderr: string, what: string) =>
  stderr.split("\n").filter((l) => l.startsWith(`  ${what} `) || l.startsWith(`  ${what}:`));
const syncRuns = () =>
  (JSON.parse(cli(w, ["history", "--json", "--kind", "sync"]).stdout) as { runs: Array<{ status: string }> }).runs;

beforeAll(async () => {
  ensureBinary();
  w = makeWorld();
  restic(w, ["init", "-q"]);
  const data = join(w.dir, "data");
  mkdirSync(data);
  writeFileSync(join(data, "a.bin"), randomBytes(12 * MiB));
  writeFileSync(join(data, "note.txt"), "hello\n");
  restic(w, ["backup", "-q", data]);
  server = await rcloneServe("webdav", {
    dir: join(w.dir, "srv"),
    workDir: join(w.dir, "servers"),
    user: "backup",
    pass: "dav-pass-4711",
  });
});
afterAll(async () => {
  await stopAllServers();
  w?.cleanup();
});

describe("sync and pull progress, and the sync dry run, on a real rclone server", () => {
  it("a sync --dry-run says what it would sync, changes nothing on the remote, and is not recorded as a sync", () => {
    const r = cli(w, ["sync", "--dry-run"], env("dry"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^dry run: would sync to cloud:dry: [1-9]\d* file\(s\) to copy \([\d.]+ MiB\), 0 to remove; nothing was changed or recorded$/m,
    );
    expect(r.stdout).not.toMatch(/synced/);
    const remoteDir = join(w.dir, "srv", "dry");
    expect(existsSync(remoteDir) ? readdirSync(remoteDir) : []).toEqual([]);
    expect(syncRuns()).toEqual([]);
    const status = cli(w, ["status"]);
    expect(status.stdout).not.toMatch(/last run: #\d+ sync/);
  });

  it("a sync of ~12 MiB that takes a few seconds ends on rclone's final stats: 100%, its size twice, 'done in', never 'stalled'", () => {
    const r = cli(w, ["sync", "--bwlimit", "4M"], env("real"));
    expect(r.code, r.stderr).toBe(0);
    const lines = progressLines(r.stderr, "sync");
    expect(lines.length, r.stderr).toBeGreaterThan(0);
    const last = lines.at(-1)!;
    expect(last).toMatch(/^ {2}sync 100% ([\d.]+ MiB)\/\1 [\d.]+ (MiB|KiB)\/s (\d+)\/\3 files, done in [\d.]+ s$/);
    expect(last).not.toMatch(/ 0 B\/s/);
    expect(r.stderr).not.toMatch(/stalled|no progress/);
    console.log(`sync progress lines:\n${lines.join("\n")}`);
    expect(syncRuns().map((x) => x.status)).toEqual(["succeeded"]);
  });

  it("a pull of that copy ends on 100% of its size, never '0% 0 B/0 B' nor 'stalled'", () => {
    const into = join(w.dir, "pulled");
    const r = cli(w, ["restore", into], env("real"));
    expect(r.code, r.stderr).toBe(0);
    const lines = progressLines(r.stderr, "pull");
    expect(lines.length, r.stderr).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^ {2}pull 100% ([\d.]+ MiB)\/\1 .* (\d+)\/\2 files, done in [\d.]+ s$/);
    expect(r.stderr).not.toMatch(/0% 0 B\/0 B|stalled|no progress/);
    console.log(`pull progress lines:\n${lines.join("\n")}`);
  });
});
