import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { waitFor } from "../../helpers/processes";
import { composeDown, composeUp, docker, writeStack } from "../../helpers/stacks";

// restore --stack NAME --dump SERVICE: its dry run (which dump, size, hash, date, the container,
// the safety dump first, nothing stopped; nothing changed) and its record in the run history.
// Real PostgreSQL 15 from the image local/db-test (scripts/setup-test-env.sh).

const DB_IMAGE = "local/db-test:latest";
const PG = `set -e
D=/var/lib/postgresql/data
if [ ! -s $D/PG_VERSION ]; then mkdir -p $D; chown postgres $D; setpriv --reuid=postgres --regid=postgres --init-groups initdb -D $D -A trust -U postgres >/dev/null; fi
mkdir -p /run/postgresql; chown postgres /run/postgresql
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D $D -k /run/postgresql -c listen_addresses=`;

const hasImage = (() => {
  try {
    docker(["image", "inspect", DB_IMAGE]);
    return true;
  } catch {
    return false;
  }
})();

const psql = (sql: string) =>
  execFileSync("docker", ["exec", "dumppv-pg-1", "psql", "-U", "postgres", "-d", "shop", "-At", "-c", sql], {
    encoding: "utf8",
  }).trim();
const startedAt = () => docker(["inspect", "-f", "{{.State.StartedAt}}", "dumppv-pg-1"]).trim();

describe.skipIf(!hasImage)("dump restore: a dry run that says what it would do, and a record in history", () => {
  let w: TestWorld;
  let dir: string;
  let manifestDump: { file: string; bytes: number; sha256: string };
  let snapId: string;

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld("[stack:dumppv]\nSTOP_STRATEGY=none");
    restic(w, ["init", "-q"]);
    dir = writeStack(
      w.stacksDir,
      "dumppv",
      {
        pg: {
          image: DB_IMAGE,
          command: PG.replace(/\$/g, "$$$$"),
          volumes: ["pgdata:/var/lib/postgresql/data"],
          labels: { "backup-tui.dump": "postgres" },
        },
      },
      ["pgdata"],
    );
    composeUp(dir);
    await waitFor(
      () => {
        try {
          execFileSync("docker", ["exec", "dumppv-pg-1", "psql", "-U", "postgres", "-c", "select 1"], {
            stdio: "pipe",
          });
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      "postgres to accept connections",
    );
    execFileSync("docker", ["exec", "dumppv-pg-1", "psql", "-U", "postgres", "-q", "-c", "create database shop"]);
    psql(
      "create table items (id serial primary key, name text not null); insert into items (name) select 'item ' || g from generate_series(1, 100) g;",
    );
    const b = cli(w, ["backup", "dumppv"]);
    expect(b.code, b.stderr).toBe(0);
    const snap = JSON.parse(restic(w, ["snapshots", "--json", "--latest", "1", "--tag", "stack:dumppv"]))[0];
    snapId = snap.id;
    const manifestPath = restic(w, ["ls", snap.id])
      .split("\n")
      .find((l) => l.endsWith("/staging/dumppv/manifest.json"))!;
    manifestDump = JSON.parse(restic(w, ["dump", snap.id, manifestPath])).dumps[0];
  }, 180_000);
  afterAll(() => {
    composeDown(dir);
    w?.cleanup();
  });

  it("--dump pg --dry-run: exit 0, names the dump (path, size, sha256, date), the container, the safety dump first and that nothing stops; the database, the container and the snapshots are as before", () => {
    psql("delete from items where id > 10");
    const snapshotsBefore = JSON.parse(restic(w, ["snapshots", "--json"])).length;
    const running = startedAt();
    const r = cli(w, ["restore", "--stack", "dumppv", "--dump", "pg", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Dry run: restoring dumppv's pg database from snapshot ${snapId.slice(0, 8)}`);
    expect(r.stdout).toContain(manifestDump.file);
    expect(r.stdout).toContain(`sha256 ${manifestDump.sha256.slice(0, 16)}`);
    expect(r.stdout).toMatch(/\d+(\.\d)? (B|KiB|MiB)/);
    expect(r.stdout).toMatch(/made \d{4}-\d{2}-\d{2}/);
    expect(r.stdout).toContain("into the running container dumppv-pg-1");
    expect(r.stdout).toContain("safety snapshot (kind:pre-restore)");
    expect(r.stdout).toContain("stop nothing");
    expect(psql("select count(*) from items")).toBe("10");
    expect(JSON.parse(restic(w, ["snapshots", "--json"])).length).toBe(snapshotsBefore);
    expect(startedAt()).toBe(running);

    const json = cli(w, ["--json", "restore", "--stack", "dumppv", "--dump", "pg", "--dry-run"]);
    const plan = JSON.parse(
      json.stdout
        .trim()
        .split("\n")
        .find((l) => l.includes('"restore-dump-plan"'))!,
    );
    expect(plan).toMatchObject({
      service: "pg",
      engine: "postgres",
      file: manifestDump.file,
      bytes: manifestDump.bytes,
      sha256: manifestDump.sha256,
      container: "dumppv-pg-1",
      safetySnapshotFirst: true,
      stops: [],
    });
  });

  it("--dry-run of a service without a dump is refused the way the restore is (exit 2, naming the dumps there are)", () => {
    const r = cli(w, ["restore", "--stack", "dumppv", "--dump", "nope", "--dry-run"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("holds no dump of nope");
    expect(r.stderr).toContain("It has dumps of: pg");
  });

  it("a dump restore is in history: kind restore, the stack and its result (history --stack finds it); status's last backup is still the backup", () => {
    const r = cli(w, ["restore", "--stack", "dumppv", "--dump", "pg", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(psql("select count(*) from items")).toBe("100");
    const h = cli(w, ["history", "--stack", "dumppv", "--kind", "restore"]);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/restore .*succeeded .* 0 +dumppv:succeeded/);
    const runs = JSON.parse(
      cli(w, ["--json", "history", "--kind", "restore"])
        .stdout.trim()
        .split("\n")
        .find((l) => l.includes('"history"'))!,
    ).runs;
    expect(runs[0].stacks).toMatchObject([{ stack: "dumppv", status: "succeeded", snapshotId: snapId }]);
    // The restore's stack row is no backup: status still shows the backup as the stack's last one.
    const jsonOf = (out: string, type: string) =>
      JSON.parse(
        out
          .trim()
          .split("\n")
          .find((l) => l.includes(`"type":"${type}"`))!,
      );
    const backupRun = jsonOf(cli(w, ["--json", "history", "--kind", "backup"]).stdout, "history").runs[0];
    const status = jsonOf(cli(w, ["--json", "status"]).stdout, "status");
    expect(status.stacks.find((s: { stack: string }) => s.stack === "dumppv").last).toBe(backupRun.stacks[0].startedAt);
  });
});
