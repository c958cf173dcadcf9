import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../src/exec/redact";
import { checkConfirmPassword } from "../../../src/security/confirm";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import { readOwner } from "../../../src/state/lock";
import type { CatalogSnapshot } from "../../../src/state/catalog";
import { disasterAction, disasterJob } from "../../../src/usecases/disaster";
import { dumpRestoreAction, dumpRestoreJob } from "../../../src/usecases/dump-restore";
import { restoreAction } from "../../../src/usecases/restore";
import { testContext, type TestContext } from "../../helpers/fakes";

const SECRET = "correct horse";
let tc: TestContext | undefined;
afterEach(() => {
  tc?.cleanup();
  tc = undefined;
});

function guarded(): TestContext {
  tc = testContext();
  tc.ctx.config.security.confirmPasswordHash = new Secret(hashConfirmPassword(SECRET));
  return tc;
}

const SNAP = {
  id: `d0d0d0d0${"b".repeat(56)}`,
  shortId: "d0d0d0d0",
  time: "2026-11-22T22:45:00Z",
  host: "test-host",
  tags: ["backup-tui", "stack:web", "kind:stack"],
  paths: [],
} as unknown as CatalogSnapshot;

const hooks = () => ({ emit: () => undefined, signal: new AbortController().signal });

/** Where the lock holder is read while the job runs: when it marks dead runs (the first thing under the lock). */
function probeLock(t: TestContext): Array<number | undefined> {
  const seen: Array<number | undefined> = [];
  const mark = t.ctx.store.markDeadRunsInterrupted.bind(t.ctx.store);
  t.ctx.store.markDeadRunsInterrupted = (host) => (
    seen.push(readOwner(t.stateDir, t.ctx.config.restic.repository)?.pid), mark(host)
  );
  return seen;
}

describe("the dump restore use case", () => {
  const req = { stack: "web", service: "db", snapshot: SNAP };

  it("Given a confirmation hash, When the load comes without confirmation, with a wrong password or with a token for another action, Then it is refused before anything runs", async () => {
    const t = guarded();
    const seen = probeLock(t);
    const otherAction = checkConfirmPassword(
      t.ctx,
      restoreAction({ scope: { kind: "stack", stack: "web" }, snapshot: SNAP }),
      SECRET,
    )!;
    for (const confirmation of [undefined, { password: "wrong" }, otherAction])
      await expect(dumpRestoreJob(t.ctx, { ...req, confirmation }, hooks())).rejects.toMatchObject({ exitCode: 2 });
    expect(seen).toEqual([]);
    expect(t.restic.calls).toEqual([]);
    expect(t.docker.calls).toEqual([]);
  });

  it("Given the right password, When the load runs, Then preflight runs under the repository lock before the dump is looked at", async () => {
    const t = guarded();
    const seen = probeLock(t);
    const token = checkConfirmPassword(t.ctx, dumpRestoreAction(req), SECRET)!;
    // The fake snapshot holds no dump: the load stops after preflight.
    await expect(dumpRestoreJob(t.ctx, { ...req, confirmation: token }, hooks())).rejects.toThrow(
      "snapshot d0d0d0d0 holds no dump of db",
    );
    expect(seen).toEqual([process.pid]);
    expect(readOwner(t.stateDir, t.ctx.config.restic.repository)).toBeUndefined();
  });
});

describe("the disaster use case", () => {
  it("Given a confirmation hash, When the recovery comes without confirmation or with a wrong password, Then it is refused before anything runs", async () => {
    const t = guarded();
    const seen = probeLock(t);
    for (const confirmation of [undefined, { password: "wrong" }, { password: undefined }])
      await expect(disasterJob(t.ctx, { overwrite: false, confirmation }, hooks())).rejects.toMatchObject({
        exitCode: 2,
      });
    expect(seen).toEqual([]);
    expect(t.restic.calls).toEqual([]);
    expect(t.runner.calls).toEqual([]);
  });

  it("Given the right password and the embedded default (auto init), When the recovery runs, Then it recovers dead runs under the lock but never runs preflight's repository init", async () => {
    const t = guarded();
    t.ctx.config.restic.autoInit = true;
    const seen = probeLock(t);
    const req = { host: "oldhost", overwrite: false };
    const token = checkConfirmPassword(t.ctx, disasterAction(t.ctx.config, req), SECRET)!;
    // No doomsday snapshot in the fake: the recovery stops after its first steps.
    await disasterJob(t.ctx, { ...req, confirmation: token }, hooks()).catch(() => undefined);
    expect(seen).toEqual([process.pid]);
    expect(t.restic.calls).not.toContain("init");
    expect(readOwner(t.stateDir, t.ctx.config.restic.repository)).toBeUndefined();
  });
});
