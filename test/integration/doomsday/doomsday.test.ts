import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { BIN, cli, cliAsync, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { canRunPrivateDockerd, startPrivateDockerd, type PrivateDockerd } from "../../helpers/private-dockerd";
import { start, waitFor } from "../../helpers/processes";
import { rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";

// The doomsday drill: a whole Docker host — several Compose stacks (one PostgreSQL 15 with a
// backup-tui.dump=postgres label, one joined to another's network, one with a healthcheck, one
// stopped), a container outside Compose and a bare volume — backed up with `backup --doomsday`,
// synced to a real loopback remote (rclone serve sftp), then destroyed entirely (containers,
// volumes, networks, a locally built image, stack directories, the local repository and the
// state dir) and recovered with `restore --disaster` from the remote alone: killed once in the
// middle, then rerun, which continues from its journal. Every file and database row must be back
// byte-identical and every stack that ran must run again.
//
// It runs against a PRIVATE dockerd started by the test (test/helpers/private-dockerd.ts): the
// shared daemon holds other people's volumes, which a full-host inventory would include.
// Portainer: no Portainer image can be had here, so a loopback HTTP server answers POST
// /api/backup the way Portainer documents it (200, application/x-gzip archive; 401 without a valid
// X-API-Key).

const BUSYBOX = "local/busybox:latest";
const DB_IMAGE = "local/db-test:latest";
const hasImages = (() => {
  try {
    execFileSync("docker", ["image", "inspect", BUSYBOX, DB_IMAGE], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

const PG = `set -e
D=/var/lib/postgresql/data
if [ ! -s $D/PG_VERSION ]; then mkdir -p $D; chown postgres $D; setpriv --reuid=postgres --regid=postgres --init-groups initdb -D $D -A trust -U postgres >/dev/null; fi
mkdir -p /run/postgresql; chown postgres /run/postgresql
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D $D -k /run/postgresql -c listen_addresses=`;
const LOOP = `trap 'exit 0' TERM; while true; do sleep 1; done`;
const cmd = (script: string) => JSON.stringify(["sh", "-c", script.replace(/\$/g, "$$$$")]);

const PORTAINER_TOKEN = "ptr_drill_token_5150";
const WEBHOOK_SECRET = "http://127.0.0.1:9/hook-secret-8812";

describe.skipIf(!canRunPrivateDockerd || !hasImages)(
  "doomsday: full-host backup and bare-metal recovery (the drill)",
  () => {
    let w: TestWorld;
    let d: PrivateDockerd;
    let sftp: RcloneServer;
    let portainer: Server;
    let portainerCalls = 0;
    let env: NodeJS.ProcessEnv;
    const stacks = ["web", "app", "db", "idle"];
    const before: {
      dirs: Record<string, Record<string, string>>;
      volumes: Record<string, Record<string, string>>;
      rows: string;
      running: string[];
    } = { dirs: {}, volumes: {}, rows: "", running: [] };

    const psql = (sql: string) =>
      d.docker(["exec", "db-pg-1", "psql", "-U", "postgres", "-d", "shop", "-At", "-c", sql]).trim();
    const mountpoint = (v: string) => d.docker(["volume", "inspect", "-f", "{{.Mountpoint}}", v]).trim();
    const volumeNames = () =>
      d.docker(["volume", "ls", "--format", "{{.Name}}"]).trim().split("\n").filter(Boolean).sort();
    const running = () =>
      d
        .docker(["ps", "--filter", "status=running", "--format", "{{.Names}}"])
        .trim()
        .split("\n")
        .filter(Boolean)
        .sort();
    const compose = (stack: string, text: string) => {
      mkdirSync(join(w.stacksDir, stack), { recursive: true });
      writeFileSync(join(w.stacksDir, stack, "compose.yaml"), text);
    };
    const up = (stack: string) =>
      execFileSync("docker", ["compose", "up", "-d", "--quiet-pull"], {
        cwd: join(w.stacksDir, stack),
        env: { ...process.env, ...d.env },
        stdio: "pipe",
      });
    const waitForPg = () =>
      waitFor(
        () => {
          try {
            d.docker(["exec", "db-pg-1", "psql", "-U", "postgres", "-c", "select 1"]);
            return true;
          } catch {
            return false;
          }
        },
        90_000,
        "postgres to accept connections",
      );

    beforeAll(async () => {
      ensureBinary();
      d = await startPrivateDockerd();
      d.loadFromShared([BUSYBOX, DB_IMAGE]);
      portainer = createServer((req, res) => {
        portainerCalls++;
        if (req.method !== "POST" || req.url !== "/api/backup") return void res.writeHead(404).end();
        if (req.headers["x-api-key"] !== PORTAINER_TOKEN)
          return void res.writeHead(401, { "Content-Type": "application/json" }).end('{"message":"Unauthorized"}');
        res
          .writeHead(200, {
            "Content-Type": "application/x-gzip",
            "Content-Disposition": "attachment; filename=portainer-backup.tar.gz",
          })
          .end(gzipSync("portainer.db and certs"));
      });
      await new Promise<void>((r) => portainer.listen(0, "127.0.0.1", r));
      const port = (portainer.address() as { port: number }).port;
      w = makeWorld(
        [
          "HOSTNAME=drill-host",
          "[cloud_sync]",
          "RCLONE_REMOTE=drill",
          "RCLONE_PATH=hosts/drill-host/restic",
          "[doomsday]",
          "SAVE_IMAGES=local/busybox",
          "PASSWORD_HINT=the red notebook in the safe, page 12",
          `PORTAINER_URL=http://127.0.0.1:${port}`,
          `PORTAINER_TOKEN=${PORTAINER_TOKEN}`,
          "[notify]",
          `WEBHOOK_URL=${WEBHOOK_SECRET}`,
          "NOTIFY_ON=failure",
        ].join("\n"),
      );
      restic(w, ["init", "-q"]);
      sftp = await rcloneServe("sftp", {
        dir: join(w.dir, "cloud"),
        workDir: join(w.dir, "servers"),
        user: "backup",
        pass: "drill-pass-31",
      });
      env = { ...w.env, ...d.env, ...remoteEnv("drill", sftp), BACKUP_TUI_RETRY_BASE_MS: "200" };

      // The host: four stacks, a container outside Compose, a bare volume.
      compose(
        "web",
        `services:\n  front:\n    image: ${BUSYBOX}\n    command: ${cmd(LOOP)}\n    stop_grace_period: 2s\n    volumes:\n      - webdata:/data\n      - ./conf:/conf\n    networks: [shared]\nvolumes:\n  webdata: {}\nnetworks:\n  shared: {}\n`,
      );
      compose(
        "app",
        `services:\n  api:\n    image: ${BUSYBOX}\n    command: ${cmd(LOOP)}\n    stop_grace_period: 2s\n    volumes:\n      - appdata:/data\n    networks: [web]\n    healthcheck:\n      test: ["CMD", "test", "-f", "/data/ready"]\n      interval: 1s\n      retries: 30\nvolumes:\n  appdata: {}\nnetworks:\n  web:\n    external: true\n    name: web_shared\n`,
      );
      compose(
        "db",
        `services:\n  pg:\n    image: ${DB_IMAGE}\n    command: ${cmd(PG)}\n    stop_grace_period: 10s\n    volumes:\n      - pgdata:/var/lib/postgresql/data\n    labels:\n      backup-tui.dump: postgres\nvolumes:\n  pgdata: {}\n`,
      );
      compose(
        "idle",
        `services:\n  sleeper:\n    image: ${BUSYBOX}\n    command: ${cmd(LOOP)}\n    stop_grace_period: 2s\n    volumes:\n      - idledata:/data\nvolumes:\n  idledata: {}\n`,
      );
      mkdirSync(join(w.stacksDir, "web", "conf"));
      writeFileSync(join(w.stacksDir, "web", "conf", "site.conf"), "listen 80\nroot /data\n");
      writeFileSync(join(w.stacksDir, "web", ".env"), "TZ=UTC\n");
      for (const s of stacks) up(s);
      execFileSync("docker", ["compose", "stop"], {
        cwd: join(w.stacksDir, "idle"),
        env: { ...process.env, ...d.env },
        stdio: "pipe",
      });
      d.docker(["run", "-d", "--name", "loner", "-v", "lonedata:/data", BUSYBOX, "sh", "-c", LOOP]);
      d.docker(["volume", "create", "orphanvol"]);
      const fill = (vol: string, files: Record<string, Buffer | string>) => {
        const m = mountpoint(vol);
        for (const [f, content] of Object.entries(files)) {
          mkdirSync(join(m, f, ".."), { recursive: true });
          writeFileSync(join(m, f), content);
        }
      };
      fill("web_webdata", { "index.html": "<h1>drill</h1>\n", "assets/blob.bin": randomBytes(2 << 20) });
      fill("app_appdata", { ready: "", "state/counter": "42\n", "state/big.bin": randomBytes(1 << 20) });
      fill("idle_idledata", { "archive.txt": "kept while stopped\n" });
      fill("lonedata", { "outside-compose.bin": randomBytes(300_000) });
      fill("orphanvol", { "nobody-mounts-me.txt": "still backed up\n" });
      await waitForPg();
      d.docker(["exec", "db-pg-1", "psql", "-U", "postgres", "-q", "-c", "create database shop"]);
      psql(
        "create table items (id serial primary key, name text not null, price numeric); insert into items (name, price) select 'item ' || g, g * 1.5 from generate_series(1, 2000) g;",
      );
      await waitFor(
        () => d.docker(["inspect", "-f", "{{.State.Health.Status}}", "app-api-1"]).trim() === "healthy",
        60_000,
        "app to be healthy",
      );
    }, 240_000);

    afterAll(async () => {
      await stopAllServers();
      await new Promise((r) => (portainer ? portainer.close(r) : r(undefined)));
      await d?.stop();
      w?.cleanup();
    }, 120_000);

    it("backup --doomsday: every stack as stage 1, plus the doomsday snapshot (volumes outside stacks, inventory, saved image, Portainer, kit); sync puts the kit beside the cloud copy", async () => {
      const t0 = Date.now();
      // Not blocking: the fake Portainer in this process must answer meanwhile.
      const r = await cliAsync({ env }, ["--json", "backup", "--doomsday"]);
      console.log(`doomsday backup: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const summary = JSON.parse(
        r.stdout
          .trim()
          .split("\n")
          .filter((l) => l.includes('"type":"doomsday"'))
          .pop()!,
      );
      expect(
        summary.backup.outcomes.map((o: { stack: string; status: string }) => `${o.stack}:${o.status}`).sort(),
      ).toEqual(["app:succeeded", "db:succeeded", "idle:succeeded", "web:succeeded"]);
      expect(summary.volumes.sort()).toEqual(["lonedata", "orphanvol"]);
      expect(summary.images).toEqual([{ ref: BUSYBOX, bytes: expect.any(Number) }]);
      expect(summary.portainer.bytes).toBeGreaterThan(0);
      expect(portainerCalls).toBe(1);
      expect(summary.kit.files.sort()).toEqual(["RUNBOOK.txt", "backup-tui", "config.redacted.ini"]);
      // Stacks that ran run again after their stop/start; the container outside Compose was stopped for its volume's copy, and runs again.
      expect(running()).toEqual(["app-api-1", "db-pg-1", "loner", "web-front-1"]);
      const lonerEvents = d
        .docker([
          "events",
          "--since",
          new Date(t0 - 1000).toISOString(),
          "--until",
          new Date().toISOString(),
          "--filter",
          "container=loner",
          "--filter",
          "type=container",
          "--format",
          "{{.Action}}",
        ])
        .trim()
        .split("\n");
      expect(lonerEvents.indexOf("stop")).toBeGreaterThanOrEqual(0);
      expect(lonerEvents.lastIndexOf("start")).toBeGreaterThan(lonerEvents.indexOf("stop"));
      // The secret-free kit: runbook names remote and hint, never the password; config without secrets.
      const runbook = readFileSync(join(w.stateDir, "kit", "RUNBOOK.txt"), "utf8");
      expect(runbook).toContain("drill:hosts/drill-host/restic");
      expect(runbook).toContain("the red notebook in the safe, page 12");
      expect(runbook).toContain("backup-tui restore --disaster --yes");
      const kitConfig = readFileSync(join(w.stateDir, "kit", "config.redacted.ini"), "utf8");
      for (const secret of [PORTAINER_TOKEN, WEBHOOK_SECRET, "test-password-1234"]) {
        expect(kitConfig).not.toContain(secret);
        expect(runbook).not.toContain(secret);
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
      expect(kitConfig).toContain("RCLONE_REMOTE=drill");

      const s = cli({ env }, ["sync"]);
      expect(s.code, s.stderr + s.stdout).toBe(0);
      const kitOnRemote = join(sftp.dir, "hosts", "drill-host", "restic.kit");
      expect(readdirSync(kitOnRemote).sort()).toEqual(["RUNBOOK.txt", "backup-tui", "config.redacted.ini"]);
      expect(readFileSync(join(kitOnRemote, "RUNBOOK.txt"), "utf8")).toBe(runbook);
      // The kit's executable is this backup-tui: fetched and made executable (runbook step 1), it runs.
      const fetched = join(w.dir, "kit-backup-tui");
      copyFileSync(join(kitOnRemote, "backup-tui"), fetched);
      chmodSync(fetched, 0o755);
      expect(execFileSync(fetched, ["--version"], { encoding: "utf8" })).toBe(
        execFileSync(BIN, ["--version"], { encoding: "utf8" }),
      );

      // What must come back, recorded before the disaster.
      for (const st of stacks) before.dirs[st] = treeDigest(join(w.stacksDir, st));
      for (const v of ["web_webdata", "app_appdata", "idle_idledata", "lonedata", "orphanvol"])
        before.volumes[v] = treeDigest(mountpoint(v));
      before.rows = psql(
        "select count(*) || ':' || md5(string_agg(id || '|' || name || '|' || price, ',' order by id)) from items",
      );
      before.running = running().filter((n) => n !== "loner");
    }, 300_000);

    it("restore --disaster from the remote alone, killed midway and rerun: every file and row back, every stack that ran runs", async () => {
      expect(before.rows).toMatch(/^2000:/);
      // The disaster: everything of the host is gone, the local repository and state dir too.
      const ids = d.docker(["ps", "-aq"]).trim().split("\n").filter(Boolean);
      d.docker(["rm", "-f", ...ids]);
      d.docker(["volume", "rm", ...volumeNames()]);
      const nets = d
        .docker(["network", "ls", "--format", "{{.Name}}"])
        .trim()
        .split("\n")
        .filter((n) => !["bridge", "host", "none"].includes(n));
      if (nets.length) d.docker(["network", "rm", ...nets]);
      d.docker(["rmi", BUSYBOX]);
      rmSync(w.stacksDir, { recursive: true, force: true });
      rmSync(w.repo, { recursive: true, force: true });
      rmSync(w.stateDir, { recursive: true, force: true });
      expect(volumeNames()).toEqual([]);

      // First attempt: killed once it restores stack data (after pull, networks and volumes).
      // DOOMSDAY_DRILL_NO_KILL=1 runs it once, uninterrupted: the recovery time in the README.
      const kill = !process.env.DOOMSDAY_DRILL_NO_KILL;
      const t0 = Date.now();
      if (kill) {
        const first = start(["--json", "restore", "--disaster", "--yes"], env);
        let seen = "";
        first.child.stdout!.on("data", (b) => (seen += b));
        await waitFor(
          () => /"phase":"restoring"[^\n]*"detail":"stack /.test(seen),
          180_000,
          "the recovery to restore a stack",
        );
        first.child.kill("SIGKILL");
        await first.done;
        expect(existsSync(join(w.stateDir, "disaster", "journal.json"))).toBe(true);
      }
      const killedAfter = Date.now() - t0;

      const t1 = Date.now();
      const r = cli({ env }, ["--json", "restore", "--disaster", "--yes"]);
      const rerunMs = Date.now() - t1;
      console.log(
        kill
          ? `disaster recovery: killed after ${(killedAfter / 1000).toFixed(1)} s, rerun finished in ${(rerunMs / 1000).toFixed(1)} s, total ${((killedAfter + rerunMs) / 1000).toFixed(1)} s`
          : `disaster recovery, uninterrupted: ${(rerunMs / 1000).toFixed(1)} s`,
      );
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const report = JSON.parse(
        r.stdout
          .trim()
          .split("\n")
          .filter((l) => l.includes('"type":"disaster"'))
          .pop()!,
      );
      expect(report.resumed).toBe(kill);
      expect(report.stacks.map((s: { stack: string; state: string }) => `${s.stack}:${s.state}`)).toEqual([
        "web:running",
        "app:running",
        "db:running",
        "idle:not-started",
      ]);
      expect(report.stacks.find((s: { stack: string }) => s.stack === "db").dumps).toEqual(["pg"]);
      expect(report.manualContainers.map((c: { name: string }) => c.name)).toEqual(["loner"]);
      expect(readFileSync(report.files.portainer)).toEqual(gzipSync("portainer.db and certs"));

      // Byte-identical: stack directories, every volume, every row; the stacks that ran run again.
      for (const st of stacks) expect(treeDigest(join(w.stacksDir, st)), st).toEqual(before.dirs[st]);
      for (const [v, digest] of Object.entries(before.volumes)) expect(treeDigest(mountpoint(v)), v).toEqual(digest);
      await waitForPg();
      expect(
        psql(
          "select count(*) || ':' || md5(string_agg(id || '|' || name || '|' || price, ',' order by id)) from items",
        ),
      ).toBe(before.rows);
      expect(running()).toEqual(before.running);
      expect(d.docker(["inspect", "-f", "{{.State.Health.Status}}", "app-api-1"]).trim()).toBe("healthy");
      expect(d.docker(["image", "inspect", "-f", "{{.Id}}", BUSYBOX]).trim()).toMatch(/^sha256:/);

      // A finished recovery is not repeated over what it restored: a new run refuses without --overwrite.
      const again = cli({ env }, ["restore", "--disaster", "--yes"]);
      expect(again.code, again.stderr).toBe(2);
      expect(again.stderr).toMatch(/already has \d+ thing\(s\) the recovery would replace: network /);

      // --overwrite restores over what is there: a defaced file and deleted rows come back (about 27 s).
      {
        writeFileSync(join(mountpoint("web_webdata"), "index.html"), "defaced\n");
        psql("delete from items where id > 10");
        const ow = cli({ env }, ["--json", "restore", "--disaster", "--yes", "--overwrite"]);
        expect(ow.code, ow.stderr + ow.stdout).toBe(0);
        expect(treeDigest(mountpoint("web_webdata"))).toEqual(before.volumes.web_webdata);
        await waitForPg();
        expect(
          psql(
            "select count(*) || ':' || md5(string_agg(id || '|' || name || '|' || price, ',' order by id)) from items",
          ),
        ).toBe(before.rows);
        expect(running()).toEqual(before.running);
      }
    }, 400_000);
  },
);

describe("doomsday: usage errors (no Docker needed)", () => {
  let w: TestWorld;
  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
  });
  afterAll(() => w?.cleanup());

  it("Given --doomsday with stack names, or --disaster with --stack, or --overwrite alone, Then exit 2 naming what is wrong; --disaster without --yes off a terminal is refused", () => {
    const a = cli(w, ["backup", "--doomsday", "web"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("--doomsday backs up the whole host");
    const b = cli(w, ["restore", "--disaster", "--stack", "web"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--disaster recovers the whole host");
    const c = cli(w, ["restore", "--overwrite"]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("--overwrite goes with --disaster");
    const d = cli(w, ["restore", "--disaster"]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/refusing to recover the whole Docker host .* without confirmation/);
  });
});
