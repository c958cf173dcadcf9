import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { waitFor } from "../../helpers/processes";
import {
  composeDown,
  composeUp,
  containerEvents,
  containerStates,
  docker,
  volumeMountpoint,
  writeStack,
} from "../../helpers/stacks";

// Database-aware backups against real PostgreSQL 15 and MariaDB 10.11 servers (the image
// local/db-test, built by scripts/setup-test-env.sh from Debian packages) and a SQLite file:
// dumps taken while the databases run and take writes (strategy none: nothing stops), in the
// stack's one snapshot; loaded back with restore --dump; a failing dump fails the backup.

export const DB_IMAGE = "local/db-test:latest";
const PG = `set -e
D=/var/lib/postgresql/data
if [ ! -s $D/PG_VERSION ]; then mkdir -p $D; chown postgres $D; setpriv --reuid=postgres --regid=postgres --init-groups initdb -D $D -A trust -U postgres >/dev/null; fi
mkdir -p /run/postgresql; chown postgres /run/postgresql
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D $D -k /run/postgresql -c listen_addresses=`;
const MARIA = `set -e
mkdir -p /run/mysqld; chown mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then chown mysql /var/lib/mysql; mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null 2>&1; fi
exec setpriv --reuid=mysql --regid=mysql --init-groups mariadbd --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock --skip-networking`;

const hasImage = (() => {
  try {
    docker(["image", "inspect", DB_IMAGE]);
    return true;
  } catch {
    return false;
  }
})();

const scratchContainers = () =>
  docker(["ps", "-a", "--filter", "label=backup-tui.verify-owner", "--format", "{{.Names}}"])
    .trim()
    .split("\n")
    .filter(Boolean);
const psql = (container: string, sql: string) =>
  execFileSync("docker", ["exec", container, "psql", "-U", "postgres", "-d", "shop", "-At", "-c", sql], {
    encoding: "utf8",
  }).trim();
const maria = (container: string, sql: string) =>
  execFileSync("docker", ["exec", container, "mariadb", "-uroot", "-N", "-B", "-e", sql], { encoding: "utf8" }).trim();

describe.skipIf(!hasImage)("database dumps: postgres, mariadb, sqlite", () => {
  let w: TestWorld;
  const dirs: string[] = [];
  let liteFile: string;

  beforeAll(async () => {
    ensureBinary();
    // maria's dump is declared in the config instead of by a label.
    w = makeWorld("[stack:dbs]\nSTOP_STRATEGY=none\nDUMP=maria:mariadb");
    restic(w, ["init", "-q"]);
    // Compose reads $VAR itself: $$ passes a $ to the shell.
    const sh = (script: string) => script.replace(/\$/g, "$$$$");
    const dumpLabels = (engine: string, extra: Record<string, string> = {}) => ({
      "backup-tui.dump": engine,
      ...extra,
    });
    dirs.push(
      writeStack(
        w.stacksDir,
        "dbs",
        {
          pg: {
            image: DB_IMAGE,
            command: sh(PG),
            volumes: ["pgdata:/var/lib/postgresql/data"],
            labels: dumpLabels("postgres"),
          },
          maria: { image: DB_IMAGE, command: sh(MARIA), volumes: ["mydata:/var/lib/mysql"] },
          lite: {
            volumes: ["litedata:/data"],
            labels: dumpLabels("sqlite", { "backup-tui.dump.path": "/data/app.db" }),
          },
        },
        ["pgdata", "mydata", "litedata"],
      ),
      writeStack(
        w.stacksDir,
        "dbbad",
        {
          pg: {
            image: DB_IMAGE,
            command: sh(PG),
            volumes: ["pgdata:/var/lib/postgresql/data"],
            labels: dumpLabels("postgres", { "backup-tui.dump.user": "nosuchuser" }),
          },
        },
        ["pgdata"],
      ),
    );
    for (const d of dirs) composeUp(d);
    await waitFor(
      () => {
        try {
          execFileSync("docker", ["exec", "dbs-pg-1", "psql", "-U", "postgres", "-c", "select 1"], { stdio: "pipe" });
          execFileSync("docker", ["exec", "dbs-maria-1", "mariadb", "-uroot", "-e", "select 1"], { stdio: "pipe" });
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      "postgres and mariadb to accept connections",
    );
    execFileSync("docker", ["exec", "dbs-pg-1", "psql", "-U", "postgres", "-q", "-c", "create database shop"]);
    psql(
      "dbs-pg-1",
      "create table items (id serial primary key, name text not null); insert into items (name) select 'item ' || g from generate_series(1, 1000) g;",
    );
    maria(
      "dbs-maria-1",
      "create database shop2; create table shop2.t (id int primary key auto_increment, v varchar(50)); use shop2; insert into t (v) select concat('v', seq) from seq_1_to_500;",
    );
    liteFile = join(volumeMountpoint("dbs_litedata"), "app.db");
    const db = new DatabaseSync(liteFile);
    db.exec(
      "create table notes (id integer primary key, body text); with recursive n(i) as (select 1 union all select i + 1 from n where i < 200) insert into notes (body) select 'note ' || i from n;",
    );
    db.close();
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w?.cleanup();
  });

  it("a backup with strategy none dumps all three while postgres takes writes: nothing stops, the dumps are complete and in the snapshot with their manifest", async () => {
    const t0 = Date.now();
    // A writer keeps inserting during the backup.
    const writer = execFileSync("docker", [
      "exec",
      "-d",
      "dbs-pg-1",
      "sh",
      "-c",
      "for i in $(seq 1 300); do psql -U postgres -d shop -q -c \"insert into items (name) values ('during $i')\"; done",
    ]);
    void writer;
    const r = cli(w, ["backup", "dbs", "--json"]);
    expect(
      r.code,
      r.stdout
        .split("\n")
        .filter((l) => /failed|error/i.test(l))
        .join("\n") + r.stderr,
    ).toBe(0);
    expect(containerEvents("dbs", t0).filter((e) => e.action === "die" || e.action === "pause")).toEqual([]);
    const snap = JSON.parse(restic(w, ["snapshots", "--json", "--latest", "1", "--tag", "stack:dbs"]))[0];
    const files = restic(w, ["ls", snap.id]).split("\n");
    for (const f of ["pg.sql", "maria.sql", "lite.sqlite"])
      expect(files.some((l) => l.endsWith(`/staging/dbs/dumps/${f}`))).toBe(true);
    const manifestPath = files.find((l) => l.endsWith("/staging/dbs/manifest.json"))!;
    const manifest = JSON.parse(restic(w, ["dump", snap.id, manifestPath]));
    expect(manifest.dumps.map((d: { service: string; engine: string }) => `${d.service}:${d.engine}`).sort()).toEqual([
      "lite:sqlite",
      "maria:mariadb",
      "pg:postgres",
    ]);
    for (const d of manifest.dumps) {
      expect(d.bytes).toBeGreaterThan(0);
      expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // What each dump holds, read from the dump: the rows of the moment it was taken.
    const held = (service: string) =>
      manifest.dumps.find((d: { service: string }) => d.service === service).contents.tables;
    expect(held("pg")["shop.public.items"]).toBeGreaterThanOrEqual(1000);
    expect(held("maria")).toMatchObject({ "shop2.t": 500 });
    expect(held("lite")).toEqual({ "main.notes": 200 });
    const pgDump = restic(w, [
      "dump",
      snap.id,
      manifest.dumps.find((d: { service: string }) => d.service === "pg").file,
    ]);
    expect(pgDump).toContain("CREATE DATABASE shop");
    expect(pgDump).toMatch(/-- PostgreSQL database cluster dump complete\s*--\s*$/);
    // The staged dumps are gone from the state dir after the run.
    expect(
      execFileSync("sh", ["-c", `ls ${w.stateDir}/staging 2>/dev/null || true`], { encoding: "utf8" }).trim(),
    ).toBe("");
  });

  it("restore --dump loads postgres and mariadb back into the running containers, after a safety snapshot of the current data", () => {
    const before = Number(psql("dbs-pg-1", "select count(*) from items"));
    expect(before).toBeGreaterThanOrEqual(1000);
    psql("dbs-pg-1", "delete from items where id > 10");
    maria("dbs-maria-1", "delete from shop2.t");
    const pg = cli(w, ["restore", "--stack", "dbs", "--dump", "pg", "--yes"]);
    expect(pg.code, pg.stderr).toBe(0);
    expect(pg.stdout).toMatch(/safety snapshot [0-9a-f]{8}/);
    expect(Number(psql("dbs-pg-1", "select count(*) from items"))).toBeGreaterThanOrEqual(1000);
    expect(Number(psql("dbs-pg-1", "select count(*) from items where name like 'item %'"))).toBe(1000);
    const my = cli(w, ["restore", "--stack", "dbs", "--dump", "maria", "--yes"]);
    expect(my.code, my.stderr).toBe(0);
    expect(maria("dbs-maria-1", "select count(*) from shop2.t")).toBe("500");
    const safety = JSON.parse(restic(w, ["snapshots", "--json", "--tag", "stack:dbs,kind:pre-restore"]));
    expect(safety).toHaveLength(2);
    expect(Object.values(containerStates("dbs")).every((s) => s === "running")).toBe(true);
  });

  it("a SQLite dump is a consistent database file, restored with --file --target; --dump on it explains that", () => {
    const lite = cli(w, ["restore", "--stack", "dbs", "--dump", "lite", "--yes"]);
    expect(lite.code).toBe(2);
    expect(lite.stderr).toContain("restore it as a file");
    const target = mkdtempSync(join(tmpdir(), "btui-lite-"));
    try {
      const snap = JSON.parse(restic(w, ["snapshots", "--json", "--latest", "1", "--tag", "stack:dbs,kind:stack"]))[0];
      const path = restic(w, ["ls", snap.id])
        .split("\n")
        .find((l) => l.endsWith("/dumps/lite.sqlite"))!;
      const r = cli(w, ["restore", "--stack", "dbs", "--file", path, "--target", target]);
      expect(r.code, r.stderr).toBe(0);
      const db = new DatabaseSync(join(target, path), { readOnly: true });
      expect((db.prepare("select count(*) as n from notes").get() as { n: number }).n).toBe(200);
      expect((db.prepare("pragma integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
      db.close();
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it("a dump that fails (a user that does not exist) fails that stack's backup with the database's message; nothing is left stopped", () => {
    const before = JSON.parse(restic(w, ["snapshots", "--json", "--tag", "stack:dbbad"])).length;
    const r = cli(w, ["backup", "dbbad"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/postgres dump of dbbad-pg-1 failed: .*nosuchuser/);
    expect(JSON.parse(restic(w, ["snapshots", "--json", "--tag", "stack:dbbad"])).length).toBe(before);
    expect(containerStates("dbbad")).toEqual({ "dbbad-pg-1": "running" });
  });

  it("verify --level files loads every dump into a throw-away container and finds the rows it claimed; no scratch container is left", () => {
    // A scratch container a killed verify left behind (its owner pid is gone) is removed too.
    docker([
      "run",
      "-d",
      "--name",
      `btui-leftover-${process.pid}`,
      "--label",
      "backup-tui.verify-owner=2147483646",
      "local/busybox:latest",
      "sleep",
      "600",
    ]);
    const r = cli(w, ["verify", "--level", "files", "--stack", "dbs"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dump pg \(postgres\) loads: \d+ table\(s\), \d+ row\(s\) as claimed/);
    expect(r.stdout).toMatch(/dump maria \(mariadb\) loads: \d+ table\(s\), \d+ row\(s\) as claimed/);
    expect(r.stdout).toMatch(/dump lite \(sqlite\) loads: 1 table\(s\), 200 row\(s\) as claimed/);
    expect(scratchContainers()).toEqual([]);
  });

  it("verify --level files fails a snapshot whose dump lost rows (hash as recorded) or was altered after it was made, naming the table; the scratch container is gone", () => {
    const snap = JSON.parse(restic(w, ["snapshots", "--json", "--latest", "1", "--tag", "stack:dbs,kind:stack"]))[0];
    const staging = join(w.stateDir, "staging", "dbs");
    // A snapshot like the last one, but its postgres dump lacks 10 rows of items. Made with restic
    // itself from the snapshot's own paths, the staging directory restored where it was.
    const craft = (recordHash: boolean) => {
      restic(w, ["restore", snap.id, "--target", "/", "--include", staging]);
      const file = join(staging, "dumps", "pg.sql");
      const lines = readFileSync(file, "utf8").split("\n");
      const at = lines.findIndex((l) => l.startsWith("COPY public.items "));
      lines.splice(at + 1, 10);
      writeFileSync(file, lines.join("\n"));
      if (recordHash) {
        const manifest = JSON.parse(readFileSync(join(staging, "manifest.json"), "utf8"));
        manifest.dumps.find((d: { service: string }) => d.service === "pg").sha256 = createHash("sha256")
          .update(readFileSync(file))
          .digest("hex");
        writeFileSync(join(staging, "manifest.json"), JSON.stringify(manifest));
      }
      const made = restic(w, [
        "backup",
        "--json",
        "--host",
        snap.hostname,
        ...snap.tags.flatMap((t: string) => ["--tag", t]),
        ...snap.paths,
      ])
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .find((m) => m.message_type === "summary");
      rmSync(staging, { recursive: true, force: true });
      return made.snapshot_id as string;
    };
    try {
      const lost = craft(true);
      const r = cli(w, ["verify", "--level", "files", "--stack", "dbs"]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        /dump pg \(postgres\) FAILED: shop\.public\.items: (\d+) row\(s\) claimed, (\d+) found/,
      );
      const [, claimed, found] = /shop\.public\.items: (\d+) row\(s\) claimed, (\d+) found/.exec(r.stdout + r.stderr)!;
      expect(Number(claimed) - Number(found)).toBe(10);
      expect(r.stdout + r.stderr).toMatch(/dump maria \(mariadb\) loads/);
      expect(scratchContainers()).toEqual([]);
      restic(w, ["forget", lost]);

      const altered = craft(false);
      const r2 = cli(w, ["verify", "--level", "files", "--stack", "dbs"]);
      expect(r2.code).toBe(1);
      expect(r2.stdout + r2.stderr).toContain(
        "dump pg (postgres) FAILED: the dump differs from the one made at backup time (sha256)",
      );
      restic(w, ["forget", altered]);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  });

  it("restore --dump of a service without a dump is a usage error naming the dumps there are", () => {
    const r = cli(w, ["restore", "--stack", "dbs", "--dump", "nope", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds no dump of nope/);
    for (const name of ["lite", "maria", "pg"])
      expect(r.stderr).toMatch(new RegExp(`It has dumps of: .*\\b${name}\\b`));
    writeFileSync(join(w.dir, "unused"), "");
  });
});
