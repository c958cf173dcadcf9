import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cli, cliAsync, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { start, waitFor, type Running } from "../../helpers/processes";
import { webhook } from "../../helpers/webhook";
import { composeDown, composeUp, containerStates, writeStack } from "../../helpers/stacks";

// Schedules end to end: the daemon running real backups on short (seconds) schedules, skipping
// overlaps, surviving a failing job, reloading on SIGHUP and stopping cleanly on SIGTERM; the
// [schedule] BACKUP run leaving stacks with their own SCHEDULE alone; units and cron files
// written and removed; status flagging an overdue stack; the overdue notification.

interface HistoryRun {
  id: number;
  kind: string;
  trigger: string;
  job?: string;
  status: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  stacks: Array<{ stack: string; status: string }>;
}

describe("schedules: daemon, install, status", () => {
  let w: TestWorld;
  let baseConfig: string;
  const dirs: string[] = [];
  const background: Running[] = [];
  const history = (args: string[] = []): HistoryRun[] =>
    JSON.parse(cli(w, ["history", "--json", "--limit", "200", ...args]).stdout).runs;
  const snapshotsOf = (stack: string) =>
    (JSON.parse(restic(w, ["snapshots", "--json", "--no-lock", "--tag", `stack:${stack},kind:stack`])) as unknown[])
      .length;
  const setConfig = (extra: string) => writeFileSync(w.configFile, `${baseConfig}\n${extra}\n`, { mode: 0o600 });
  const running = (project: string) => Object.values(containerStates(project)).every((s) => s === "running");

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    baseConfig = readFileSync(w.configFile, "utf8");
    restic(w, ["init", "-q"]);
    for (const name of ["alpha", "beta", "gamma"]) {
      const dir = writeStack(w.stacksDir, name, { app: { volumes: ["data:/data"] } }, ["data"]);
      dirs.push(dir);
      composeUp(dir);
    }
    expect(cli(w, ["dirlist", "sync"]).code).toBe(0);
    expect(cli(w, ["dirlist", "enable", "alpha", "beta"]).code).toBe(0);
  });
  afterEach(async () => {
    for (const r of background.splice(0)) {
      r.child.kill("SIGKILL");
      await r.done;
    }
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("the [schedule] BACKUP run leaves a stack with its own SCHEDULE to it; a disabled stack's own schedule is skipped and recorded; schedule list shows both jobs' last runs", () => {
    setConfig("[schedule]\nBACKUP=0 3 * * *\n[stack:beta]\nSCHEDULE=0 2 * * 0\n[stack:gamma]\nSCHEDULE=0 1 * * *");
    const global = cli(w, ["backup", "--scheduled", "--json"]);
    expect(global.code, global.stderr).toBe(0);
    expect(snapshotsOf("alpha")).toBe(1);
    expect(snapshotsOf("beta")).toBe(0);

    const own = cli(w, ["backup", "--scheduled", "beta"]);
    expect(own.code, own.stderr).toBe(0);
    expect(snapshotsOf("beta")).toBe(1);

    const disabled = cli(w, ["backup", "--scheduled", "gamma"]);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stderr).toContain("gamma is disabled");
    expect(snapshotsOf("gamma")).toBe(0);

    const runs = history();
    expect(runs.slice(0, 3).map((r) => [r.job, r.status])).toEqual([
      ["backup:gamma", "skipped"],
      ["backup:beta", "succeeded"],
      ["backup", "succeeded"],
    ]);
    expect(runs[2].stacks.map((s) => s.stack)).toEqual(["alpha"]);
    expect(runs[2].trigger).toBe("scheduled");

    const list = JSON.parse(cli(w, ["schedule", "list", "--json"]).stdout);
    const byId = Object.fromEntries(list.jobs.map((j: { job: string }) => [j.job, j]));
    expect(byId.backup).toMatchObject({
      cron: "0 3 * * *",
      description: "every day at 03:00",
      enabled: true,
      last: { status: "succeeded" },
    });
    expect(new Date(byId.backup.next).getHours()).toBe(3);
    expect(byId["backup:beta"]).toMatchObject({ enabled: true, last: { status: "succeeded" } });
    expect(byId["backup:gamma"]).toMatchObject({
      enabled: false,
      why: expect.stringContaining("disabled"),
      last: { status: "skipped" },
    });
    expect(containerStates("alpha")).toEqual({ "alpha-app-1": "running" });
  });

  it("status flags a stack whose last good backup is older than OVERDUE_AFTER (exit 1) and not otherwise", async () => {
    setConfig("[schedule]\nBACKUP=0 3 * * *");
    const fresh = cli(w, ["status", "--json"]);
    expect(fresh.code, fresh.stdout).toBe(0);
    const alpha = JSON.parse(fresh.stdout).stacks.find((s: { stack: string }) => s.stack === "alpha");
    expect(alpha).toMatchObject({ overdue: false, schedule: "0 3 * * *" });
    expect(new Date(alpha.next).getHours()).toBe(3);

    setConfig("[schedule]\nBACKUP=0 3 * * *\nOVERDUE_AFTER=1s");
    await new Promise((r) => setTimeout(r, 1500));
    const late = cli(w, ["status"]);
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/alpha .*OVERDUE/);
  });

  it("the daemon runs due jobs one at a time, records overlaps as skipped, survives a failing job, reloads on SIGHUP and stops on SIGTERM with the stack running", async () => {
    // alpha every 2 s (a backup takes longer: overlaps happen); beta's pre-hook fails every time.
    setConfig("[schedule]\nBACKUP=*/2 * * * * *\n[stack:beta]\nSCHEDULE=*/3 * * * * *\nPRE_HOOK=exit 9");
    const before = history().length;
    // Single pass: longer stop windows, so the SIGTERM below lands while alpha is stopped.
    const d = start(["daemon"], { ...w.env, BACKUP_TUI_DOCKER_TWO_PASS: "false" });
    background.push(d);
    const since = () => {
      const all = history();
      return all.slice(0, all.length - before);
    };
    await waitFor(
      () => since().filter((r) => r.job === "backup" && r.status === "succeeded").length >= 2,
      90_000,
      "two scheduled backups",
    );
    await waitFor(
      () => since().some((r) => r.job === "backup:beta" && r.status === "failed"),
      30_000,
      "the failing job",
    );
    await waitFor(() => since().some((r) => r.status === "skipped"), 30_000, "a skipped overlap");
    // A manual backup while the daemon works: it waits for the repository, never writes beside it.
    const manual = cli(w, ["backup", "alpha", "--wait", "2m"]);
    expect(manual.code, manual.stderr).toBe(0);
    const runs = since();
    expect(runs.some((r) => r.trigger === "manual" && r.kind === "backup" && r.status === "succeeded")).toBe(true);
    // One at a time: no two runs of the daemon overlap in time.
    const spans = runs
      .filter((r) => r.status !== "skipped" && r.finishedAt)
      .map((r) => [Date.parse(r.startedAt), Date.parse(r.finishedAt!)])
      .sort((a, b) => a[0] - b[0]);
    expect(spans.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    expect(runs.find((r) => r.status === "skipped")?.error).toMatch(/previous run was still (running|waiting)/);
    // The failing job did not stop the schedule: backups go on after it.
    const failedAt = runs.find((r) => r.job === "backup:beta" && r.status === "failed")!.id;
    await waitFor(
      () => history().some((r) => r.id > failedAt && r.job === "backup" && r.status === "succeeded"),
      30_000,
      "a backup after the failure",
    );

    // SIGHUP with a new config: beta's schedule is gone, a VERIFY job appears.
    setConfig("[schedule]\nBACKUP=0 3 1 1 *\nVERIFY=*/2 * * * * *");
    d.child.kill("SIGHUP");
    await waitFor(
      () => history().some((r) => r.job === "verify" && r.status === "succeeded"),
      60_000,
      "a scheduled verify after the reload",
    );
    const verifyId = history().find((r) => r.job === "verify")!.id;
    await new Promise((r) => setTimeout(r, 2500));
    expect(history().some((r) => r.id > verifyId && r.job === "backup:beta")).toBe(false);

    // Back to backups, then SIGTERM while one runs: the job restarts the stack, the daemon exits.
    setConfig("[schedule]\nBACKUP=* * * * * *");
    d.child.kill("SIGHUP");
    await waitFor(() => containerStates("alpha")["alpha-app-1"] !== "running", 60_000, "a backup stopping alpha");
    d.child.kill("SIGTERM");
    const end = await d.done;
    expect(end.code, end.stderr).toBe(143);
    expect(end.stderr).toMatch(/stopping: waiting for backup/);
    expect(running("alpha")).toBe(true);
    const last = history().find((r) => r.status !== "skipped")!; // overlaps skipped during it come after it
    expect(["interrupted", "succeeded"]).toContain(last.status);
    expect(history().every((r) => r.status !== "running")).toBe(true);
    expect(cli(w, ["status"]).stdout).toContain("pending recovery: none");
  });

  it("a second daemon for the same repository is refused with exit 75; a config with no schedule is refused with 78", async () => {
    setConfig("[schedule]\nBACKUP=0 3 1 1 *");
    const d = start(["--json", "daemon"], w.env);
    background.push(d);
    const locks = join(w.stateDir, "locks");
    const daemonHolds = () =>
      existsSync(locks) &&
      readdirSync(locks).some(
        (f) => f.endsWith(".owner.json") && readFileSync(join(locks, f), "utf8").includes("daemon"),
      );
    await waitFor(daemonHolds, 20_000, "the daemon's lock");
    const second = cli(w, ["daemon"]);
    expect(second.code).toBe(75);
    expect(second.stderr).toContain("another daemon");
    d.child.kill("SIGTERM");
    const end = await d.done;
    expect(end.code).toBe(143);
    // Under --json the daemon's lines are JSON on stdout; stderr holds only JSON lines too.
    const lines = end.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toContain("daemon");
    expect(lines.some((l) => /backup: next run/.test(l.message))).toBe(true);
    expect(lines.at(-1).message).toBe("stopped");
    for (const l of end.stderr.trim().split("\n").filter(Boolean))
      expect(JSON.parse(l)).toMatchObject({ type: "warning" });

    setConfig("");
    const none = cli(w, ["daemon"]);
    expect(none.code).toBe(78);
    expect(none.stderr).toContain("no schedule is configured");
  });

  it("the daemon notifies once when a stack is overdue", async () => {
    const hook = await webhook();
    try {
      setConfig(`[schedule]\nBACKUP=0 3 1 1 *\nOVERDUE_AFTER=1s\n[notify]\nWEBHOOK_URL=${hook.url}`);
      const d = start(["daemon"], w.env);
      background.push(d);
      await waitFor(() => hook.got.length > 0, 30_000, "the overdue notification");
      const sent = hook.json()[0] as { status: string; lines: string[] };
      expect(sent.status).toBe("failed");
      expect(sent.lines.join("\n")).toMatch(/alpha: OVERDUE, last good backup/);
      d.child.kill("SIGTERM");
      await d.done;
      expect(hook.got).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it("under timers (no daemon) a scheduled backup reports overdue stacks: once per stack until it catches up", async () => {
    const hook = await webhook();
    const got = () => hook.json() as Array<{ lines: string[] }>;
    try {
      const limit = (after: string) =>
        setConfig(`[schedule]\nBACKUP=0 3 * * *\nOVERDUE_AFTER=${after}\n[notify]\nWEBHOOK_URL=${hook.url}`);
      // Both enabled stacks backed up now: nothing overdue (whatever an earlier test reported is cleared), nothing sent.
      limit("1h");
      expect((await cliAsync(w, ["backup", "--scheduled"])).code).toBe(0);
      expect(got()).toEqual([]);
      await new Promise((r) => setTimeout(r, 8000));
      // Only alpha backed up: beta's last good backup (8 s+) is now older than 6 s; alpha's is not.
      limit("6s");
      const second = await cliAsync(w, ["backup", "--scheduled", "alpha"]);
      expect(second.code, second.stderr).toBe(0);
      expect(got()).toHaveLength(1);
      expect(got()[0].lines.join("\n")).toMatch(/^beta: OVERDUE/);
      expect(got()[0].lines.join("\n")).not.toContain("alpha");
      // Still overdue, already reported: no second message.
      expect((await cliAsync(w, ["backup", "--scheduled", "alpha"])).code).toBe(0);
      expect(got()).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });

  it("install --systemd writes units that systemd-analyze accepts, keeps foreign files, removes units no longer scheduled; uninstall removes only ours; --cron refuses a seconds schedule naming its key", () => {
    const units = join(w.dir, "units");
    setConfig("[schedule]\nBACKUP=0 3 * * *\nPRUNE=@weekly\n[stack:beta]\nSCHEDULE=0 2 1,15 * mon-fri");
    const r = cli(w, ["schedule", "install", "--systemd", "--dir", units]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(units).sort()).toEqual([
      "backup-tui-backup.service",
      "backup-tui-backup.timer",
      "backup-tui-prune.service",
      "backup-tui-prune.timer",
      "backup-tui-recover.service",
      "backup-tui-stack-beta.service",
      "backup-tui-stack-beta.timer",
    ]);
    const timer = readFileSync(join(units, "backup-tui-stack-beta.timer"), "utf8");
    expect(timer).toContain(
      "OnCalendar=*-*-01,15 02:00:00\nOnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 02:00:00\nPersistent=true",
    );
    expect(readFileSync(join(units, "backup-tui-backup.service"), "utf8")).toMatch(
      new RegExp(`ExecStart=\\S+backup-tui --config ${w.configFile} --quiet backup --scheduled --wait 1h`),
    );
    if (existsSync("/usr/bin/systemd-analyze")) {
      const files = readdirSync(units).map((f) => join(units, f));
      const verify = cliShell(`systemd-analyze verify ${files.join(" ")}`);
      expect(verify.code, verify.out).toBe(0);
    }

    writeFileSync(join(units, "backup-tui-mine.service"), "[Service]\nExecStart=/bin/true\n");
    setConfig("[schedule]\nBACKUP=0 3 * * *");
    const again = cli(w, ["schedule", "install", "--systemd", "--dir", units]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("backup-tui-stack-beta.timer");
    expect(readdirSync(units).sort()).toEqual([
      "backup-tui-backup.service",
      "backup-tui-backup.timer",
      "backup-tui-mine.service",
      "backup-tui-recover.service",
    ]);

    const un = cli(w, ["schedule", "uninstall", "--systemd", "--dir", units]);
    expect(un.code, un.stderr).toBe(0);
    expect(readdirSync(units)).toEqual(["backup-tui-mine.service"]);

    const cronDir = join(w.dir, "cron.d");
    const cron = cli(w, ["schedule", "install", "--cron", "--dir", cronDir]);
    expect(cron.code, cron.stderr).toBe(0);
    const text = readFileSync(join(cronDir, "backup-tui"), "utf8");
    expect(text).toMatch(
      /^0 3 \* \* \* root BACKUP_TUI_STATE_DIR=\S+ \S+backup-tui --config \S+ --quiet backup --scheduled --wait 1h >\/dev\/null$/m,
    );
    expect(text).toMatch(/^@reboot root .*backup-tui --config \S+ --quiet recover --wait 10m >\/dev\/null$/m);

    setConfig("[schedule]\nBACKUP=*/5 * * * * *");
    const secs = cli(w, ["schedule", "install", "--cron", "--dir", cronDir]);
    expect(secs.code).toBe(78);
    expect(secs.stderr).toContain("[schedule] BACKUP");
    expect(readFileSync(join(cronDir, "backup-tui"), "utf8")).toBe(text); // left as it was
    expect(cli(w, ["schedule", "uninstall", "--cron", "--dir", cronDir]).code).toBe(0);
    expect(existsSync(join(cronDir, "backup-tui"))).toBe(false);
  });

  it("a paused job run by a timer installed before the pause does nothing and is recorded as skipped", () => {
    setConfig("[schedule]\nBACKUP=0 3 * * *\nPAUSED=backup:alpha, prune");
    const before = snapshotsOf("alpha");
    const r = cli(w, ["backup", "--scheduled", "alpha"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("backup:alpha is paused ([schedule] PAUSED): nothing done");
    expect(snapshotsOf("alpha")).toBe(before);
    expect(history()[0]).toMatchObject({ job: "backup:alpha", status: "skipped", error: "paused ([schedule] PAUSED)" });
    expect(cli(w, ["forget", "--prune", "--scheduled"]).code).toBe(0);
    expect(history()[0]).toMatchObject({ job: "prune", status: "skipped" });
    // By hand (no --scheduled) a paused job's command still runs.
    setConfig("[schedule]\nPAUSED=backup:alpha");
    expect(cli(w, ["backup", "alpha"]).code).toBe(0);
    expect(snapshotsOf("alpha")).toBe(before + 1);
  });

  it("a bad cron expression is a config error naming the key (exit 78)", () => {
    setConfig("[stack:alpha]\nSCHEDULE=61 * * * *");
    const r = cli(w, ["config", "validate"]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/\[stack:alpha\] SCHEDULE.*cron/);
  });
});

function cliShell(command: string): { code: number; out: string } {
  const r = spawnSync("sh", ["-c", command], { encoding: "utf8" });
  return { code: r.status ?? 128, out: `${r.stdout}${r.stderr}` };
}
