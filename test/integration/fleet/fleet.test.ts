import { execFileSync, spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliAsync, ensureBinary, makeWorld, resultOf, type TestWorld } from "../../helpers/env";
import {
  radosgw,
  rcloneServe,
  s3Bucket,
  s3Repository,
  s3ResticEnv,
  stopAllServers,
  type Radosgw,
  type RcloneServer,
} from "../../helpers/servers";
import { pressUntil, tmuxServer, waitExitFile, waitForText } from "../../helpers/tmux";
import { webhook } from "../../helpers/webhook";
import { composeDown, composeUp, containerEvents, volumeMountpoint, writeStack } from "../../helpers/stacks";

// One machine simulating a fleet: three "hosts" (state dirs and HOSTNAME h1, h2, h3, each with a
// dirlist of its own stack) back up concurrently into one repository — on `rclone serve restic`
// and on a real S3 bucket (Ceph radosgw) — with PRUNE_HOST=h1, and a fourth, viewer config that
// names only the repository (no Docker). Every restic call is the real one.

const HOSTS = { h1: "fa", h2: "fb", h3: "fc" } as const;
type Host = keyof typeof HOSTS;
const DAILY = "0 3 * * *";
/** h3 backs up every minute: its window (2 × the interval) is two minutes. */
const EVERY_MINUTE = "* * * * *";
/** Only KEEP_LAST counts: the other KEEP_* defaults would keep every same-day snapshot. */
const ONLY_LAST = {
  BACKUP_TUI_LOCAL_BACKUP_KEEP_DAILY: "0",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_WEEKLY: "0",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_MONTHLY: "0",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_YEARLY: "0",
};

interface Snap {
  id: string;
  time: string;
  hostname: string;
  tags: string[];
}
interface FleetJson {
  type: "fleet";
  hosts: Array<{
    host: string;
    state: string;
    publishedAt: string;
    publishWithinMs?: number;
    stacks: Array<{ stack: string; state: string; lastGood?: string }>;
  }>;
}

describe("fleet: three hosts, one repository", () => {
  let w: TestWorld;
  let rest: RcloneServer;
  let s3: Radosgw;
  const stackDirs: string[] = [];

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    for (const stack of Object.values(HOSTS)) {
      const dir = writeStack(w.stacksDir, stack, { app: { volumes: ["data:/data"] } }, ["data"]);
      composeUp(dir);
      stackDirs.push(dir);
      writeFileSync(join(volumeMountpoint(`${stack}_data`), "data.txt"), `the data of ${stack}\n`);
    }
    for (const h of Object.keys(HOSTS)) writeFileSync(join(w.dir, `dirlist-${h}`), `+${HOSTS[h as Host]}\n`);
    const servers = join(w.dir, "servers");
    [rest, s3] = await Promise.all([
      rcloneServe("restic", { dir: join(w.dir, "srv-rest"), workDir: servers }),
      radosgw({ dir: join(w.dir, "srv-s3"), workDir: servers }),
    ]);
    s3Bucket(s3, "fleet");
  }, 120_000);
  afterAll(async () => {
    await stopAllServers();
    for (const d of stackDirs) composeDown(d);
    w?.cleanup();
  });

  const backends = {
    rest: () => ({ BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: `rest:http://127.0.0.1:${rest.port}/fleet` }),
    s3: () => ({
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: s3Repository(s3, "fleet/restic"),
      ...s3ResticEnv(s3),
    }),
  };

  for (const kind of ["rest", "s3"] as const) {
    describe(kind, () => {
      const hostEnv = (host: Host | "viewer", extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
        ...backends[kind](),
        BACKUP_TUI_STATE_DIR: join(w.dir, `state-${kind}-${host}`),
        BACKUP_TUI_LOCAL_BACKUP_HOSTNAME: host,
        BACKUP_TUI_LOCAL_BACKUP_PRUNE_HOST: "h1",
        ...(host === "viewer"
          ? { DOCKER_HOST: "unix:///nonexistent/docker.sock", BACKUP_TUI_LOCAL_BACKUP_PUBLISH_STATUS: "false" }
          : {
              BACKUP_TUI_LOCAL_BACKUP_DIRLIST_FILE: join(w.dir, `dirlist-${host}`),
              BACKUP_TUI_SCHEDULE_BACKUP: host === "h3" ? EVERY_MINUTE : DAILY,
            }),
        ...extra,
      });
      const run = (host: Host | "viewer", args: string[], extra?: NodeJS.ProcessEnv) =>
        cli(w, args, hostEnv(host, extra));
      const runAsync = (host: Host, args: string[], extra?: NodeJS.ProcessEnv) =>
        cliAsync(w, args, hostEnv(host, extra));
      const resticRaw = (args: string[]): string =>
        execFileSync("restic", args, {
          env: {
            ...process.env,
            ...backends[kind](),
            RESTIC_REPOSITORY: backends[kind]().BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY,
            RESTIC_PASSWORD_FILE: w.passwordFile,
            RESTIC_PASSWORD: undefined,
            RESTIC_CACHE_DIR: join(w.dir, `restic-cache-${kind}`),
          },
          encoding: "utf8",
        });
      const snapshots = (): Snap[] => JSON.parse(resticRaw(["snapshots", "--json", "--no-lock"])) as Snap[];
      const ofHost = (host: string, tag: string) =>
        snapshots().filter((s) => s.hostname === host && s.tags.includes(tag));
      const fleet = (now?: string) => {
        const r = run("viewer", ["status", "--fleet", "--json", ...(now ? ["--now", now] : [])]);
        return { code: r.code, report: resultOf<FleetJson>(r.stdout, "fleet"), stderr: r.stderr };
      };

      it("three hosts back up at once; the viewer, with no Docker, sees each host with its stack", async () => {
        expect(run("h1", ["init"]).code).toBe(0);
        const runs = await Promise.all((Object.keys(HOSTS) as Host[]).map((h) => runAsync(h, ["backup", HOSTS[h]])));
        for (const r of runs) expect(r.code, r.stderr).toBe(0);

        const { code, report } = fleet();
        expect(code, JSON.stringify(report)).toBe(0);
        expect(report.hosts.map((h) => [h.host, h.state, h.stacks.map((s) => s.stack)]).sort()).toEqual([
          ["h1", "ok", ["fa"]],
          ["h2", "ok", ["fb"]],
          ["h3", "ok", ["fc"]],
        ]);
        // The times are each host's own: its status says the same last good backup.
        for (const h of Object.keys(HOSTS) as Host[]) {
          const own = resultOf<{ stacks: Array<{ stack: string; lastGood?: string }> }>(
            run(h, ["status", "--json"]).stdout,
            "status",
          );
          const seen = report.hosts.find((x) => x.host === h)!;
          expect(seen.stacks[0].lastGood).toBe(own.stacks.find((s) => s.stack === HOSTS[h])!.lastGood);
        }
        // Status snapshots are not backups: no host's catalog lists them.
        const listed = resultOf<{ snapshots: Array<{ stack?: string }> }>(
          run("h2", ["snapshots", "--json", "--refresh"]).stdout,
          "snapshots",
        ).snapshots;
        expect(listed.map((s) => s.stack).sort()).toEqual(["fa", "fb", "fc"]);
        // The repository checks clean after the concurrent runs.
        expect(() => resticRaw(["check"])).not.toThrow();
      }, 240_000);

      it("the TUI's Fleet screen at 80x24 (tmux), for the viewer: every host; Enter opens that host's snapshots", async () => {
        if (kind !== "rest") return; // the screen reads what fleet() reads: one backend is enough
        const { tmux, kill } = tmuxServer("btui-fleet");
        const exitFile = join(w.dir, "fleet-tui.exit");
        try {
          const env = { ...hostEnv("viewer"), BACKUP_TUI_CONFIG: w.configFile, NO_COLOR: "1" };
          const assigns = Object.entries(env).map(([k, v]) => `${k}='${v}'`);
          const script = `env ${assigns.join(" ")} ${ensureBinary()} 2> ${exitFile}.stderr; echo EXIT=$? > ${exitFile}; sleep 120`;
          tmux("new-session", "-d", "-s", "fleet", "-x", "80", "-y", "24", "sh", "-c", script);
          const pane = () => tmux("capture-pane", "-p", "-t", "fleet");
          await waitForText(pane, /\[1 /);
          await pressUntil(() => tmux("send-keys", "-t", "fleet", "7"), pane, /\[7 Fleet\]/);
          const f = await waitForText(pane, /3 host\(s\) · 0 need a look[\s\S]*h3/);
          const lines = f.replace(/\n$/, "").split("\n"); // capture-pane ends each line with a newline
          expect(lines.length).toBeLessThanOrEqual(24);
          for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
          // Host rows and their stacks under them, in host order (all ok).
          const rows = lines.filter((l) => /^\S*\s*(h[123]\s+ok|\s+f[abc]\s+ok)/.test(l.replace(/^[› ] ?/, "")));
          expect(rows.map((l) => /(h[123]|f[abc])/.exec(l)![1])).toEqual(["h1", "fa", "h2", "fb", "h3", "fc"]);
          // Down twice (h1, fa, h2) and Enter: h2's snapshots only.
          tmux("send-keys", "-t", "fleet", "Down", "Down", "Enter");
          const snaps = await waitForText(pane, /host h2 · [\s\S]*fb/).catch((e) => {
            throw new Error(`${e}\n${pane()}`);
          });
          expect(snaps).not.toMatch(/\bfa\b|\bfc\b/);
          // q: back to the Dashboard, q again: quit.
          tmux("send-keys", "-t", "fleet", "q");
          await waitForText(pane, /\[1 Dashboard\]/);
          tmux("send-keys", "-t", "fleet", "q");
          expect(await waitExitFile(exitFile)).toBe(0);
        } finally {
          kill();
        }
      }, 120_000);

      it("h3 stops publishing: OVERDUE exactly when its window passes, the others stay ok", () => {
        const { report } = fleet();
        const h3 = report.hosts.find((h) => h.host === "h3")!;
        expect(h3.publishWithinMs).toBe(2 * 60_000);
        const deadline = Date.parse(h3.publishedAt) + h3.publishWithinMs!;
        // (Its stack may go overdue a little earlier: its last good backup started before the host
        // published.) The host goes silent when its own window passes.
        const before = fleet(new Date(deadline - 1000).toISOString());
        expect(before.report.hosts.find((h) => h.host === "h3")!.state).not.toBe("silent");
        const after = fleet(new Date(deadline + 1000).toISOString());
        expect(after.code).toBe(1);
        expect(after.report.hosts[0]).toMatchObject({ host: "h3", state: "silent" });
        expect(after.report.hosts.slice(1).map((h) => h.state)).toEqual(["ok", "ok"]);
        const text = run("viewer", ["status", "--fleet", "--now", new Date(deadline + 1000).toISOString()]);
        expect(text.stdout).toMatch(/h3\s+OVERDUE \(silent\)/);
      });

      it("only PRUNE_HOST h1 takes the exclusive lock: h2 refuses prune, forget, check, protect", () => {
        for (const args of [
          ["prune", "--yes"],
          ["forget", "--yes"],
          ["verify", "--level", "metadata"],
          ["protect", "latest"],
        ]) {
          const r = run("h2", args);
          expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
          expect(r.stderr).toContain("only PRUNE_HOST h1");
          expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
        }
        // A scheduled PRUNE job on h2 is skipped, not failed.
        const scheduled = run("h2", ["forget", "--prune", "--scheduled"]);
        expect(scheduled.code, scheduled.stderr).toBe(0);
        expect(scheduled.stdout + scheduled.stderr).toContain("left to PRUNE_HOST h1");
      });

      it("a backup waits for another host's exclusive lock instead of failing", async () => {
        if (kind !== "rest") return; // the lock file is watched on the served directory
        const locks = join(rest.dir, "fleet", "locks");
        const check = spawn("restic", ["check", "--read-data"], {
          env: {
            ...process.env,
            RESTIC_REPOSITORY: backends.rest().BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY,
            RESTIC_PASSWORD_FILE: w.passwordFile,
            RESTIC_CACHE_DIR: join(w.dir, "restic-cache-holder"),
          },
          stdio: "ignore",
        });
        // Hold its exclusive lock: stop restic the moment its lock file appears.
        const deadline = Date.now() + 20_000;
        while (!readdirSync(locks).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        check.kill("SIGSTOP");
        try {
          // LOCK_WAIT 0s: busy at once, and the stack is never stopped for it.
          const t0 = Date.now();
          const impatient = run("h2", ["backup", "fb"], { BACKUP_TUI_LOCAL_BACKUP_LOCK_WAIT: "0s" });
          expect([1, 75], impatient.stderr).toContain(impatient.code);
          expect(impatient.stdout + impatient.stderr).toMatch(/locked exclusively by PID \d+ .*fb was not stopped/);
          expect(containerEvents("fb", t0).filter((e) => e.action === "die")).toEqual([]);
          // The default wait: the backup waits while the stack runs, then stops it only for its backup.
          const started = Date.now();
          const waiting = runAsync("h2", ["backup", "fb"]);
          await new Promise((r) => setTimeout(r, 4000));
          const released = Date.now();
          check.kill("SIGCONT");
          const r = await waiting;
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout + r.stderr).toMatch(/waiting for PID \d+ on \S+ \(exclusive lock\) before stopping fb/);
          const died = containerEvents("fb", started).filter((e) => e.action === "die");
          expect(died).toHaveLength(1);
          expect(died[0].atMs).toBeGreaterThan(released);
        } finally {
          check.kill("SIGCONT");
          if (check.exitCode === null && check.signalCode === null) await new Promise((r) => check.once("exit", r));
        }
      }, 120_000);

      it("h3's backup fails: h1 and h2 both see it, exactly one of them notifies, once", async () => {
        if (kind !== "rest") return; // one backend is enough for the claim protocol
        const hook = await webhook();
        try {
          // restic fails h3's backups of files (fault injection); its status still publishes (stdin).
          const failing = join(w.dir, "restic-failing");
          writeFileSync(
            failing,
            '#!/bin/sh\nfor a in "$@"; do [ "$a" = --files-from-verbatim ] && { echo "injected failure" >&2; exit 1; }; done\nexec restic "$@"\n',
            { mode: 0o755 },
          );
          const bad = await runAsync("h3", ["backup", "fc"], { BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: failing });
          expect(bad.code).toBe(1);
          const notify = { BACKUP_TUI_NOTIFY_WEBHOOK_URL: hook.url };
          const both = await Promise.all([
            runAsync("h1", ["backup", "fa"], notify),
            runAsync("h2", ["backup", "fb"], notify),
          ]);
          for (const r of both) expect(r.code, r.stderr).toBe(0);
          const fleetNotices = () => hook.json().filter((j) => String(j.title).startsWith("backup-tui fleet"));
          expect(fleetNotices()).toHaveLength(1);
          expect((fleetNotices()[0].lines as string[]).join("\n")).toMatch(/h3 fc: FAILED .*injected failure/);
          // The same event is not told again, by either host.
          for (const h of ["h1", "h2"] as const) expect((await runAsync(h, ["backup", HOSTS[h]], notify)).code).toBe(0);
          expect(fleetNotices()).toHaveLength(1);
          expect(run("h3", ["backup", "fc"]).code).toBe(0);
        } finally {
          await hook.close();
        }
      }, 240_000);

      it("h1's retention keeps each host's snapshots by that host's own policy, and only h1 prunes", async () => {
        // h2 keeps its last 1; h1 its last 2; h3 publishes the default policy (keeps every same-day snapshot).
        const h2 = { BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST: "1", ...ONLY_LAST };
        const h1 = { BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST: "2", ...ONLY_LAST };
        for (let i = 0; i < 2; i++) {
          expect(run("h1", ["backup", "fa"], h1).code).toBe(0);
          // AUTO_PRUNE on h2 is left to h1: nothing forgotten, no exclusive lock.
          const b = run("h2", ["backup", "fb"], { ...h2, BACKUP_TUI_LOCAL_BACKUP_AUTO_PRUNE: "true" });
          expect(b.code, b.stderr).toBe(0);
          expect(run("h3", ["backup", "fc"]).code).toBe(0);
          // h2 backs up h1's stack too: h1's policy must not touch h2's snapshots of fa.
          expect(run("h2", ["backup", "fa"], h2).code).toBe(0);
          // And one volume alone: its single-volume snapshots follow h2's policy too.
          const v = run("h2", ["backup", "--volume", "fb_data"], h2);
          expect(v.code, v.stderr).toBe(0);
        }
        expect(ofHost("h2", "kind:volume").length).toBeGreaterThanOrEqual(2);
        const h2fb = ofHost("h2", "stack:fb").length;
        expect(h2fb).toBeGreaterThanOrEqual(3);
        const before = { h3: ofHost("h3", "stack:fc").length, h2fa: ofHost("h2", "stack:fa") };
        const forget = run("h1", ["forget", "--prune", "--yes"], h1);
        expect(forget.code, forget.stderr).toBe(0);

        expect(ofHost("h1", "stack:fa").length).toBe(2);
        // (Its fb_data snapshots carry stack:fb too, as their owner: kind:volume, counted apart.)
        expect(ofHost("h2", "stack:fb").filter((s) => s.tags.includes("kind:stack")).length).toBe(1);
        // h2's own fa snapshots: h2's policy (last 1), never h1's.
        expect(ofHost("h2", "stack:fa").map((s) => s.id)).toEqual([
          before.h2fa.sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0].id,
        ]);
        expect(ofHost("h3", "stack:fc").length).toBe(before.h3);
        // h2's fb_data volume snapshots: h2's policy, applied per volume by h1.
        expect(ofHost("h2", "kind:volume").filter((s) => s.tags.includes("vol:fb_data")).length).toBe(1);
        // Status snapshots: the newest 3 per host are kept, the rest forgotten.
        // (h1's forget run publishes once more after its housekeeping.)
        for (const h of ["h2", "h3"]) expect(ofHost(h, "backup-tui-status").length).toBeLessThanOrEqual(3);
        expect(ofHost("h1", "backup-tui-status").length).toBeLessThanOrEqual(4);
        expect(() => resticRaw(["check"])).not.toThrow();
        // The fleet still reads after the housekeeping.
        expect(
          fleet()
            .report.hosts.map((h) => h.host)
            .sort(),
        ).toEqual(["h1", "h2", "h3"]);
      }, 400_000);

      it("doctor reads the fleet: who prunes, a host naming another PRUNE_HOST, a second machine publishing as h2", () => {
        const fleetCheck = (host: Host, extra?: NodeJS.ProcessEnv) => {
          const r = run(host, ["doctor", "--no-probe", "--json"], extra);
          const checks = resultOf<{ checks: Array<{ name: string; status: string; detail: string }> }>(
            r.stdout,
            "doctor",
          ).checks;
          return checks.find((c) => c.name === "fleet")!;
        };
        expect(fleetCheck("h2")).toMatchObject({
          status: "ok",
          detail: "3 host(s) publish into the repository (h1, h2, h3); h1 prunes",
        });
        // Another machine (its own state directory, so its own host-id) publishes as h2, naming h9.
        const twin = run("h2", ["backup", "fb"], {
          BACKUP_TUI_STATE_DIR: join(w.dir, `state-${kind}-h2-twin`),
          BACKUP_TUI_LOCAL_BACKUP_PRUNE_HOST: "h9",
        });
        expect(twin.code, twin.stderr).toBe(0);
        const onH2 = fleetCheck("h2");
        expect(onH2.status).toBe("fail");
        expect(onH2.detail).toContain("another machine publishes as h2 too");
        expect(onH2.detail).toContain("h2 names PRUNE_HOST h9, this host h1");
        expect(fleetCheck("h1").detail).toContain("h2 names PRUNE_HOST h9");
      }, 120_000);
    });
  }
});
