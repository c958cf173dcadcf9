import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BusyError } from "../../../src/errors";
import type { ServiceEvent } from "../../../src/services/run/events";
import { acquireRepoLock } from "../../../src/state/lock";
import { createBackend } from "../../../src/tui/backend";
import { syncSummary } from "../../../src/tui/summaries";
import { syncJob } from "../../../src/usecases/sync";
import { fakeRclone, fakeRestic, localRepositoryWithKit, testContext, type TestContext } from "../../helpers/fakes";

describe("the sync job", () => {
  let tc: TestContext;
  const saved = process.env.BACKUP_TUI_RCLONE_STALL_MS;
  afterEach(() => {
    tc?.cleanup();
    if (saved === undefined) delete process.env.BACKUP_TUI_RCLONE_STALL_MS;
    else process.env.BACKUP_TUI_RCLONE_STALL_MS = saved;
  });
  const hooks = (events: ServiceEvent[] = []) => ({
    emit: (e: ServiceEvent) => void events.push(e),
    signal: new AbortController().signal,
  });

  it("Given a local repository and a recovery kit, When the sync succeeds, Then the kit is copied beside the cloud copy after the mirror and said so", async () => {
    tc = testContext();
    const repo = localRepositoryWithKit(tc);
    const rclone = fakeRclone(tc);
    const events: ServiceEvent[] = [];
    const r = await syncJob(tc.ctx, {}, hooks(events));
    expect(r.targets[0].exitCode).toBe(0);
    expect(r.kits).toEqual(["cloud:backups/test-host.kit"]);
    const sync = rclone.calls.indexOf(`sync ${repo} cloud:backups/test-host`);
    const kit = rclone.calls.findIndex((c) => c.startsWith("copy ") && c.endsWith("cloud:backups/test-host.kit"));
    expect(sync).toBeGreaterThanOrEqual(0);
    expect(kit).toBeGreaterThan(sync);
    expect(events).toContainEqual({ type: "info", message: "recovery kit copied to cloud:backups/test-host.kit" });
  });

  it("Given a dry run, When it ends, Then no kit is copied and nothing is recorded", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    const rclone = fakeRclone(tc);
    const r = await syncJob(tc.ctx, { dryRun: true }, hooks());
    expect(r.kits).toEqual([]);
    expect(rclone.calls.some((c) => c.startsWith("copy "))).toBe(false);
    expect(rclone.syncs[0]).toMatchObject({ dryRun: true });
    expect(r.targets[0].runId).toBeUndefined();
  });

  it("Given a cloud copy that differs, When the sync ends, Then it fails and the kit is not copied", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    const rclone = fakeRclone(tc, { differences: ["data/ab/abcd: sizes differ"] });
    const r = await syncJob(tc.ctx, {}, hooks());
    expect(r.targets[0].exitCode).toBe(1);
    expect(rclone.calls.some((c) => c.startsWith("copy "))).toBe(false);
  });

  it("Given the kit copy fails, When the sync ends, Then the sync stands and the report carries a warning", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    fakeRclone(tc, { copyError: new Error("quota exceeded") });
    const r = await syncJob(tc.ctx, {}, hooks());
    expect(r.targets[0].exitCode).toBe(0);
    expect(r.kitWarnings).toEqual([
      "the recovery kit was not copied beside default (cloud:backups/test-host): quota exceeded",
    ]);
  });

  it("Given the repository lock is held, When a sync starts, Then it is refused as busy before anything is sent", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    const rclone = fakeRclone(tc);
    const lock = await acquireRepoLock({
      stateDir: tc.stateDir,
      repository: tc.ctx.config.restic.repository,
      owner: tc.ctx.owner,
    });
    try {
      await expect(syncJob(tc.ctx, {}, hooks())).rejects.toBeInstanceOf(BusyError);
      expect(rclone.calls).toEqual([]);
    } finally {
      await lock.release();
    }
  });

  it("Given two syncs started together, When both run, Then the second is refused as busy and the first succeeds", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    fakeRclone(tc);
    const [a, b] = await Promise.allSettled([syncJob(tc.ctx, {}, hooks()), syncJob(tc.ctx, {}, hooks())]);
    expect(a.status).toBe("fulfilled");
    expect(b.status === "rejected" && b.reason).toBeInstanceOf(BusyError);
  });

  it("Given AUTO_INIT, When a sync runs, Then preflight runs first (restic init before the local check)", async () => {
    tc = testContext({ restic: fakeRestic() });
    localRepositoryWithKit(tc);
    fakeRclone(tc);
    tc.ctx.config.restic.autoInit = true;
    tc.ctx.config.restic.password = { kind: "command", command: "echo x", origin: "test" } as never;
    await syncJob(tc.ctx, {}, hooks());
    expect(tc.restic.calls.slice(0, 2)).toEqual(["init", "check"]);
  });

  it("Given BACKUP_TUI_RCLONE_STALL_MS, When a sync runs, Then rclone gets that stall timeout", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    const rclone = fakeRclone(tc);
    process.env.BACKUP_TUI_RCLONE_STALL_MS = "4321";
    await syncJob(tc.ctx, {}, hooks());
    expect(rclone.syncs[0]).toMatchObject({ stallTimeoutMs: 4321 });
  });

  it("Given the TUI, When it syncs, Then it runs the same job: the kit is copied, the stall timeout applies, and the summary says both", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    const rclone = fakeRclone(tc, { copyError: new Error("quota exceeded") });
    process.env.BACKUP_TUI_RCLONE_STALL_MS = "4321";
    const r = await createBackend(tc.ctx).sync(new AbortController().signal, () => undefined);
    expect(rclone.syncs[0]).toMatchObject({ stallTimeoutMs: 4321 });
    expect(rclone.calls.some((c) => c.startsWith("copy ") && c.endsWith(".kit"))).toBe(true);
    const { ok, summary } = syncSummary(r);
    expect(ok).toBe(true);
    expect(summary[0]).toMatch(/^run #\d+: synced to cloud:backups\/test-host: 3 file\(s\) copied, 0 removed/);
    expect(summary).toContain(
      "the recovery kit was not copied beside default (cloud:backups/test-host): quota exceeded",
    );
  });
});

describe("the tamper alarm in the sync job", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());
  const id = (c: string) => c.repeat(64);
  const hooks = () => ({ emit: () => undefined, signal: new AbortController().signal });

  it("Given a copy that lost snapshots this host did not forget, When it syncs, Then nothing is written there, exit 1, the alarm stays until --accept-loss", async () => {
    tc = testContext();
    const repo = localRepositoryWithKit(tc);
    for (const c of "abc") writeFileSync(join(repo, "snapshots", id(c)), "");
    const remote = { remoteConfig: "repository-config-1", snapshots: [id("a"), id("b"), id("c")] };
    const rclone = fakeRclone(tc, remote);
    expect((await syncJob(tc.ctx, {}, hooks())).exitCode).toBe(0);
    remote.snapshots = [id("a")];
    const r = await syncJob(tc.ctx, {}, hooks());
    expect(r.exitCode).toBe(1);
    expect(r.targets[0].tamper?.message).toBe(
      "the copy at default lost 2 snapshots you did not forget (bbbbbbbb, cccccccc)",
    );
    expect(rclone.calls.filter((c) => c.startsWith("sync "))).toHaveLength(1);
    expect(tc.ctx.store.targets.active("default")).toHaveLength(1);
    // Still refused next time, and --accept-loss needs the target named and a confirmation.
    expect((await syncJob(tc.ctx, {}, hooks())).exitCode).toBe(1);
    await expect(
      syncJob(tc.ctx, { to: "default", acceptLoss: { password: undefined } }, hooks()),
    ).resolves.toMatchObject({
      exitCode: 0,
    });
    expect(tc.ctx.store.targets.active("default")).toHaveLength(0);
    expect(rclone.calls.filter((c) => c.startsWith("sync "))).toHaveLength(2);
  });

  it("Given snapshots this host forgot, When they are gone from the copy, Then there is no alarm", async () => {
    tc = testContext();
    const repo = localRepositoryWithKit(tc);
    for (const c of "ab") writeFileSync(join(repo, "snapshots", id(c)), "");
    const remote = { remoteConfig: "repository-config-1", snapshots: [id("a"), id("b")] };
    fakeRclone(tc, remote);
    await syncJob(tc.ctx, {}, hooks());
    tc.ctx.store.targets.recordForgotten([id("b")], new Date().toISOString());
    remote.snapshots = [id("a")];
    const r = await syncJob(tc.ctx, {}, hooks());
    expect(r.exitCode).toBe(0);
    expect(r.targets[0].tamper).toBeUndefined();
  });

  it("Given --accept-loss without --to, When the job starts, Then it is refused (exit 2)", async () => {
    tc = testContext();
    localRepositoryWithKit(tc);
    fakeRclone(tc);
    await expect(syncJob(tc.ctx, { acceptLoss: { password: undefined } }, hooks())).rejects.toThrow(/--to NAME/);
  });
});
