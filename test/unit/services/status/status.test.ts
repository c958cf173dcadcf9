import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, ExitCode } from "../../../../src/errors";
import { readStatus, statusExitCode } from "../../../../src/services/status/status";
import { WARNING_KINDS } from "../../../../src/services/status/warnings";
import { dashboardOf } from "../../../../src/tui/backend-dashboard";
import { lockPaths } from "../../../../src/state/lock";
import type { StackResultRow } from "../../../../src/state/store";
import { container, fakeDocker, testContext, type TestContext } from "../../../helpers/fakes";

let tc: TestContext | undefined;
afterEach(() => {
  tc?.cleanup();
  tc = undefined;
});

const NOW = new Date("2026-12-01T12:00:00Z");
const DEAD = { pid: 999_999, startedAt: "2026-01-01T00:00:00Z", command: "backup-tui backup" };

/** A backup run with one stack's result. */
function backedUp(t: TestContext, stack: string, startedAt: string, status: StackResultRow["status"]): void {
  const runId = t.ctx.store.startRun("backup", "manual", t.ctx.owner);
  t.ctx.store.recordStack({ runId, stack, status, startedAt, durationMs: 1, downtimeMs: 0 });
  t.ctx.store.finishRun(runId, status === "failed" ? "failed" : "succeeded", status === "failed" ? 1 : 0);
}

function deadRunStopped(t: TestContext, stack: string, host = t.ctx.owner.host): void {
  t.ctx.journal.write({
    id: `r1-${stack}`,
    runId: 1,
    stack,
    strategy: "stop",
    containers: [{ id: "x", name: `${stack}-app-1`, action: "stopped" }],
    owner: { ...DEAD, host },
    writtenAt: DEAD.startedAt,
  });
}

function staleLock(t: TestContext): void {
  mkdirSync(join(t.ctx.config.stateDir, "locks"), { recursive: true });
  const info = lockPaths(t.ctx.config.stateDir, t.ctx.config.restic.repository).info;
  writeFileSync(info, JSON.stringify({ ...DEAD, host: t.ctx.owner.host }));
}

/** A sync that found snapshots gone at the target raised its alarm. */
function lostAt(t: TestContext, target: string, at = "2026-12-01T03:00:00Z"): void {
  t.ctx.store.targets.raise(target, {
    at,
    message: `the copy at ${target} lost 12 snapshots you did not forget (a1b2c3d4, b2c3d4e5, c3d4e5f6, …)`,
    missing: Array.from({ length: 12 }, (_, i) => String(i).repeat(64)),
  });
}

describe("the status service", () => {
  it("Given one of every problem, When the status is read, Then each is a warning, most urgent first", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-app-1", project: "web" })] }) });
    const { ctx } = tc;
    writeFileSync(ctx.config.dirlistFile, "+web\n+gone\n");
    ctx.config.schedule.backup = "0 3 * * *";
    backedUp(tc, "web", "2026-11-01T03:00:00Z", "succeeded");
    ctx.store.addPending([
      {
        snapshotId: "s".repeat(64),
        shortId: "ssssssss",
        stack: "web",
        host: "test-host",
        time: "2026-11-01T03:00:00Z",
        reason: "space",
        dueAt: "2026-12-02T03:00:00Z",
        createdAt: "2026-12-01T03:00:00Z",
      },
    ]);
    ctx.store.verifications.record([
      {
        at: "2026-11-30T03:00:00Z",
        repository: ctx.config.restic.repository,
        level: "metadata",
        ok: false,
        detail: "pack damaged",
      },
    ]);
    const failed = ctx.store.startRun("sync", "manual", ctx.owner);
    ctx.store.finishRun(failed, "failed", 1, "rclone: network down\nmore");
    staleLock(tc);
    deadRunStopped(tc, "web");
    lostAt(tc, "offsite");

    const s = await readStatus(ctx, { discover: true, configWarnings: ["[restic] FOO: unknown key"], now: NOW });

    expect(s.warnings.map((w) => w.kind)).toEqual([
      "tamper",
      "pending-recovery",
      "lock",
      "last-run",
      "verification",
      "pending-deletions",
      "overdue",
      "config",
      "dirlist",
    ]);
    const kinds = s.warnings.map((w) => WARNING_KINDS.indexOf(w.kind));
    expect(kinds).toEqual([...kinds].sort((a, b) => a - b));
    const text = s.warnings.map((w) => w.message).join("\n");
    expect(text).toContain("pending recovery: web (web-app-1) was left stopped by dead pid 999999");
    expect(text).toContain("stale lock: held by pid 999999 (backup-tui backup), which is gone");
    expect(text).toMatch(/last run #\d+ \(sync\) failed: rclone: network down$/m);
    expect(text).toMatch(/last verify FAILED \(.*metadata\): pack damaged/);
    expect(text).toContain("1 snapshot(s) will be forgotten for space at ");
    expect(text).toContain("OVERDUE: web (last good backup 30d ago, expected within 2d)");
    expect(text).toContain("gone is enabled in");
    expect(statusExitCode(s)).toBe(ExitCode.serviceDown);
  });

  it("Given a sync target's tamper alarm, When the status is read, Then it is the most urgent warning, saying what, when and how to acknowledge, and status exits 1 until it is acknowledged", async () => {
    tc = testContext();
    const { ctx } = tc;
    lostAt(tc, "offsite");
    lostAt(tc, "offsite", "2026-12-01T09:00:00Z");
    ctx.store.targets.raise("nas", {
      at: "2026-12-01T04:00:00Z",
      message: "the copy at nas is 3.1 GiB, down from 9.8 GiB at the last sync",
      missing: [],
    });

    const s = await readStatus(ctx, { now: NOW });

    expect(s.targetAlarms.map((a) => a.target)).toEqual(["nas", "offsite"]);
    expect(s.warnings.map((w) => [w.kind, w.target])).toEqual([
      ["tamper", "nas"],
      ["tamper", "offsite"],
    ]);
    const offsite = s.warnings[1].message;
    expect(offsite).toMatch(
      /^TAMPER ALARM: the copy at offsite lost 12 snapshots you did not forget \(a1b2c3d4, b2c3d4e5, c3d4e5f6, …\) \(found .+, again .+\); syncs to offsite stop until you check that copy and run `backup-tui sync --to offsite --accept-loss`$/,
    );
    expect(s.warnings[0].message).toContain("the copy at nas is 3.1 GiB, down from 9.8 GiB at the last sync (found ");
    expect(s.warnings[0].message).not.toContain("again");
    expect(statusExitCode(s)).toBe(ExitCode.failed);

    ctx.store.targets.acknowledge("offsite", { at: "2026-12-01T10:00:00Z", by: "root" });
    ctx.store.targets.acknowledge("nas", { at: "2026-12-01T10:00:00Z", by: "root" });
    const after = await readStatus(ctx, { now: NOW });
    expect(after.targetAlarms).toEqual([]);
    expect(after.warnings).toEqual([]);
    expect(statusExitCode(after)).toBe(ExitCode.ok);
  });

  it("Given a tamper alarm, When the dashboard maps the status, Then the alarm is its first warning line", async () => {
    tc = testContext();
    writeFileSync(tc.ctx.config.dirlistFile, "+web\n");
    tc.ctx.config.schedule.backup = "0 3 * * *";
    backedUp(tc, "web", "2026-11-01T03:00:00Z", "succeeded");
    lostAt(tc, "default");
    const d = dashboardOf(await readStatus(tc.ctx, { now: NOW }));
    expect(d.warnings[0]).toMatch(
      /^TAMPER ALARM: the copy at default lost 12 snapshots .*`backup-tui sync --to default --accept-loss`$/,
    );
    expect(d.warnings[1]).toMatch(/^OVERDUE: web/);
  });

  it("Given a schedule, When a stack's last good backup is too old, Then it is overdue with its next run, and status exits 1", async () => {
    tc = testContext();
    const { ctx } = tc;
    writeFileSync(ctx.config.dirlistFile, "+web\n+db\n-off\n");
    ctx.config.schedule.backup = "0 3 * * *";
    backedUp(tc, "web", "2026-11-20T03:00:00Z", "succeeded");
    backedUp(tc, "db", "2026-12-01T03:00:00Z", "succeeded");
    backedUp(tc, "off", "2026-10-01T03:00:00Z", "succeeded");

    const s = await readStatus(ctx, { now: NOW });

    const row = (name: string) => s.stacks.find((r) => r.stack === name);
    expect(s.stacks.map((r) => r.stack)).toEqual(["db", "off", "web"]);
    expect(row("web")?.due).toMatchObject({ overdue: true, schedule: "0 3 * * *", job: "backup" });
    expect(row("db")?.due?.overdue).toBe(false);
    // The next run is the next 03:00 of this machine's zone after now.
    const next = new Date(row("db")?.due?.next ?? "");
    expect([next.getHours(), next.getMinutes()]).toEqual([3, 0]);
    expect(next.getTime()).toBeGreaterThan(NOW.getTime());
    expect(next.getTime() - NOW.getTime()).toBeLessThanOrEqual(86_400_000);
    // A stack the dirlist disables is not scheduled, so never overdue.
    expect(row("off")?.due).toBeUndefined();
    expect(row("web")?.ageMs).toBe(NOW.getTime() - Date.parse("2026-11-20T03:00:00Z"));
    expect(s.warnings.map((w) => w.message)).toEqual(["OVERDUE: web (last good backup 11d ago, expected within 2d)"]);
    expect(statusExitCode(s)).toBe(ExitCode.failed);
  });

  it("Given nothing wrong, When the status is read, Then there are no warnings and status exits 0", async () => {
    tc = testContext();
    writeFileSync(tc.ctx.config.dirlistFile, "+web\n");
    tc.ctx.config.schedule.backup = "0 3 * * *";
    backedUp(tc, "web", "2026-12-01T03:00:00Z", "succeeded");
    const s = await readStatus(tc.ctx, { now: NOW });
    expect(s.warnings).toEqual([]);
    expect(s.pendingRecovery).toEqual([]);
    expect(s.lock).toBeUndefined();
    expect(statusExitCode(s)).toBe(ExitCode.ok);
  });

  it("Given a dirlist with a line it cannot read, When the dashboard reads the status, Then the stacks found are listed, none enabled, with the error", async () => {
    tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-app-1", project: "web" })] }) });
    writeFileSync(tc.ctx.config.dirlistFile, "+web\nthis is junk\n");
    tc.ctx.config.schedule.backup = "0 3 * * *";

    const s = await readStatus(tc.ctx, { discover: true, now: NOW });

    expect(s.dirlistError).toContain(`the dirlist cannot be read: ${tc.ctx.config.dirlistFile}:2:`);
    expect(s.stacks.map((r) => [r.stack, r.found?.state, r.enabled])).toEqual([["web", "running", false]]);
    expect(s.stacks[0].due).toBeUndefined();
  });

  it("Given a dirlist with a line it cannot read, When status reads it strictly, Then it fails with the config error", async () => {
    tc = testContext();
    writeFileSync(tc.ctx.config.dirlistFile, "+web\nthis is junk\n");
    await expect(readStatus(tc.ctx, { strict: true })).rejects.toBeInstanceOf(ConfigError);
    // Not strict and without discovery: the error is carried, nothing is enabled.
    const s = await readStatus(tc.ctx);
    expect(s.dirlistError).toMatch(/cannot be read/);
  });

  it("Given due dates that cannot be computed, When read strictly, Then it throws; otherwise a schedule warning", async () => {
    tc = testContext();
    writeFileSync(tc.ctx.config.dirlistFile, "+web\n");
    tc.ctx.config.schedule.backup = "0 3 * * *";
    tc.ctx.config.schedule.overdueAfter = "soon";
    await expect(readStatus(tc.ctx, { strict: true })).rejects.toThrow(/OVERDUE_AFTER/);
    const s = await readStatus(tc.ctx, { now: NOW });
    expect(s.warnings.map((w) => w.kind)).toEqual(["schedule"]);
    expect(s.warnings[0].message).toMatch(/^schedule: .*OVERDUE_AFTER/);
  });

  it("Given containers a dead run left stopped, When the status is read, Then recovery is pending and status exits 4", async () => {
    tc = testContext();
    deadRunStopped(tc, "web");
    const s = await readStatus(tc.ctx, { now: NOW });
    expect(s.pendingRecovery).toMatchObject([{ stack: "web", containers: ["web-app-1"], pid: 999_999, alive: false }]);
    expect(s.warnings.map((w) => w.kind)).toEqual(["pending-recovery"]);
    expect(statusExitCode(s)).toBe(ExitCode.serviceDown);
    expect(ExitCode.serviceDown).toBe(4);
  });

  it("Given a running backup's journal entry (its process alive), When the status is read, Then it is listed but not pending", async () => {
    tc = testContext();
    tc.ctx.journal.write({
      id: "r2-web",
      runId: 2,
      stack: "web",
      strategy: "stop",
      containers: [{ id: "x", name: "web-app-1", action: "stopped" }],
      owner: tc.ctx.owner,
      writtenAt: NOW.toISOString(),
    });
    const s = await readStatus(tc.ctx, { now: NOW });
    expect(s.pendingRecovery).toMatchObject([{ stack: "web", alive: true }]);
    expect(s.warnings).toEqual([]);
    expect(statusExitCode(s)).toBe(ExitCode.ok);
  });

  it("Given a failed restore proof of one stack, When the status is read, Then it is a warning about that stack and status exits 1", async () => {
    tc = testContext();
    tc.ctx.store.verifications.record([
      {
        at: "2026-11-30T03:00:00Z",
        repository: tc.ctx.config.restic.repository,
        level: "restore",
        stack: "web",
        ok: false,
        detail: "checksum mismatch",
      },
    ]);
    const s = await readStatus(tc.ctx, { now: NOW });
    expect(s.stacks.map((r) => r.stack)).toEqual(["web"]);
    expect(s.warnings).toMatchObject([{ kind: "verification", stack: "web" }]);
    expect(s.warnings[0].message).toMatch(/^restore proof of web FAILED \(.*\): checksum mismatch$/);
    expect(statusExitCode(s)).toBe(ExitCode.failed);
  });
});

describe("the status of the copies", () => {
  const target = (name: string, path: string) => ({
    name,
    section: name === "default" ? "cloud_sync" : `cloud_sync:${name}`,
    mode: "append" as const,
    remote: "b2",
    path,
    transfers: 4,
    keepDeletedDays: 0,
    maxDeletePercent: 50,
  });

  it("Given two targets, one synced well then failed, one never synced, When the status is read, Then each shows its last good sync, snapshots and last result", async () => {
    tc = testContext();
    const { ctx } = tc;
    ctx.config.targets.push(target("default", "host/restic"), target("vault", "vault/restic"));
    const good = ctx.store.startRun("sync", "manual", ctx.owner, { stack: "default" });
    ctx.store.finishRun(good, "succeeded", 0);
    ctx.store.targets.recordSeen("default", ["a".repeat(64), "b".repeat(64)], {
      at: "2026-12-01T03:00:00Z",
      location: "b2:host/restic",
    });
    const bad = ctx.store.startRun("sync", "manual", ctx.owner, { stack: "default" });
    ctx.store.finishRun(bad, "failed", 1, "connection refused");
    const s = await readStatus(ctx, { now: NOW });
    expect(s.copies).toEqual([
      {
        target: "default",
        mode: "append",
        where: "b2:host/restic",
        last: expect.objectContaining({ id: bad, status: "failed", exitCode: 1, error: "connection refused" }),
        lastGood: { at: "2026-12-01T03:00:00Z", snapshots: 2 },
        alarm: false,
      },
      { target: "vault", mode: "append", where: "b2:vault/restic", last: undefined, lastGood: undefined, alarm: false },
    ]);
  });

  it("Given a target moved since its last good sync, or with an alarm, When the status is read, Then the old place's sync is not shown as its last good one and the alarm is flagged", async () => {
    tc = testContext();
    const { ctx } = tc;
    ctx.config.targets.push(target("vault", "new/place"));
    ctx.store.targets.recordSeen("vault", ["a".repeat(64)], { at: "2026-12-01T03:00:00Z", location: "b2:old/place" });
    lostAt(tc, "vault");
    const [row] = (await readStatus(ctx, { now: NOW })).copies;
    expect(row.lastGood).toBeUndefined();
    expect(row.alarm).toBe(true);
  });

  it("Given doctor probed a target, When the status is read, Then its verdict shows; once the target points elsewhere, it does not", async () => {
    tc = testContext();
    const { ctx } = tc;
    ctx.config.targets.push(target("vault", "vault/restic"));
    const probe = { verdict: "erasable", detail: "this host can delete files there", at: "2026-12-01T04:00:00Z" };
    ctx.store.targets.recordProbe("vault", { ...probe, location: "b2:vault/restic" });
    expect((await readStatus(ctx, { now: NOW })).copies[0].probe).toEqual(probe);
    ctx.store.targets.recordProbe("vault", { ...probe, location: "b2:elsewhere" });
    expect((await readStatus(ctx, { now: NOW })).copies[0].probe).toBeUndefined();
  });
});
