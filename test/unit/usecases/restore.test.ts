import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../src/exec/redact";
import type { Snapshot } from "../../../src/restic/json";
import { checkConfirmPassword } from "../../../src/security/confirm";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import { refreshCatalog } from "../../../src/services/snapshots/catalog";
import { readOwner } from "../../../src/state/lock";
import { createBackend } from "../../../src/tui/backend";
import { restoreAction, restoreJob } from "../../../src/usecases/restore";
import { capturedLog } from "../../helpers/captured-log";
import { fakeSnapshotRestic } from "../../helpers/fake-snapshot-restic";
import { testContext, type TestContext } from "../../helpers/fakes";

const SECRET = "correct horse";
let tc: TestContext | undefined;
afterEach(() => {
  tc?.cleanup();
  tc = undefined;
});

/** Stack web's directory, live "old", and a snapshot of it holding "new content". */
async function world(o: { hash?: boolean } = {}) {
  tc = testContext();
  const t = tc;
  const dir = join(t.stacksDir, "web");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.html"), "old");
  t.ctx.config.docker.stacksDir = t.stacksDir;
  const snap: Snapshot = {
    id: `c53e77c8${"a".repeat(56)}`,
    short_id: "c53e77c8",
    time: "2026-11-22T22:45:00Z",
    hostname: t.ctx.config.hostname,
    tags: ["backup-tui", "stack:web", "kind:stack"],
    paths: [dir],
    tree: "tree",
  };
  const restic = fakeSnapshotRestic({ snapshots: [snap], files: { [join(dir, "index.html")]: "new content" } });
  const { log, lines } = capturedLog();
  Object.assign(t.ctx, { restic, resticFor: () => restic, log });
  if (o.hash) t.ctx.config.security.confirmPasswordHash = new Secret(hashConfirmPassword(SECRET));
  await refreshCatalog(t.ctx);
  restic.calls.length = 0;
  const snapshot = t.ctx.store.catalog.list({})[0];
  const lockHolder = () => readOwner(t.stateDir, t.ctx.config.restic.repository);
  const req = { scope: { kind: "stack" as const, stack: "web" }, snapshot };
  return { t, dir, restic, lines, snapshot, req, lockHolder };
}

const hooks = (events: string[] = []) => ({
  emit: (e: { type: string; message?: string }) => void events.push(e.message ?? e.type),
  signal: new AbortController().signal,
});

describe("the restore use case", () => {
  it("Given a confirmation hash, When an in-place restore comes with no confirmation, no password, a wrong one or a forged token — from the use case or the TUI — Then it is refused before anything is read, locked or written", async () => {
    const { t, dir, restic, req } = await world({ hash: true });
    const refusals = [
      restoreJob(t.ctx, req, hooks()),
      restoreJob(t.ctx, { ...req, confirmation: { password: undefined } }, hooks()),
      restoreJob(t.ctx, { ...req, confirmation: { password: "wrong" } }, hooks()),
      restoreJob(t.ctx, { ...req, confirmation: { action: restoreAction(req), guarded: true } }, hooks()),
      createBackend(t.ctx).restore(req, "wrong", new AbortController().signal, () => undefined),
    ];
    for (const r of refusals) await expect(r).rejects.toMatchObject({ exitCode: 2 });
    expect(restic.calls).toEqual([]);
    expect(t.docker.calls).toEqual([]);
    expect(t.ctx.store.runs({})).toEqual([]);
    expect(readFileSync(join(dir, "index.html"), "utf8")).toBe("old");
  });

  it("Given a wrong password, When the restore is refused, Then the refusal is logged once, naming the action and the user", async () => {
    const { t, req, lines } = await world({ hash: true });
    await expect(restoreJob(t.ctx, { ...req, confirmation: { password: "wrong" } }, hooks())).rejects.toThrow(
      "wrong confirmation password; nothing was changed",
    );
    const refused = lines.filter((l) => l.msg === "refused: wrong confirmation password");
    expect(refused).toHaveLength(1);
    expect(refused[0].fields.action).toBe(restoreAction(req));
    expect(refused[0].fields.action).toMatch(/^restore stack web from snapshot c53e77c8 \(.+\) over the live data$/);
    expect(refused[0].fields).toHaveProperty("user");
  });

  it("Given the right password, When the restore runs in place, Then it holds the lock while it writes, runs preflight first, swaps the data in and adds its safety snapshot to the catalog without asking restic", async () => {
    const { t, dir, restic, req, lockHolder } = await world({ hash: true });
    // A run whose process is gone: preflight marks it interrupted.
    t.ctx.store.startRun("backup", "manual", { ...t.ctx.owner, pid: 2 ** 22 + 12345 });
    const heldDuring: Array<number | undefined> = [];
    const restore = restic.restore;
    restic.restore = async (r) => (heldDuring.push(lockHolder()?.pid), restore(r));
    const events: string[] = [];
    const token = checkConfirmPassword(t.ctx, restoreAction(req), SECRET)!;
    const report = await restoreJob(t.ctx, { ...req, confirmation: token }, hooks(events));
    expect(report.mode).toBe("in-place");
    expect(report.exitCode).toBe(0);
    expect(readFileSync(join(dir, "index.html"), "utf8")).toBe("new content");
    expect(heldDuring).toEqual([process.pid]);
    expect(lockHolder()).toBeUndefined();
    expect(events[0]).toMatch(/1 earlier run\(s\) were interrupted/);
    expect(report.safetySnapshot).toBeDefined();
    expect(restic.calls.at(-1)).toBe("backup kind:pre-restore");
    expect(restic.calls).not.toContain("snapshots");
    expect(t.ctx.store.catalog.resolve(report.safetySnapshot!)?.kind).toBe("pre-restore");
  });

  it("Given no confirmation, When the restore is a dry run or goes under a target, Then it runs without the lock and writes nothing live", async () => {
    const { t, dir, restic, req, lockHolder } = await world({ hash: true });
    const held: Array<unknown> = [];
    const ls = restic.ls;
    restic.ls = async (...a) => (held.push(lockHolder()), ls(...a));
    const dry = await restoreJob(t.ctx, { ...req, dryRun: true }, hooks());
    expect(dry.mode).toBe("dry-run");
    expect(dry.diff?.[0].changed).toEqual([join(dir, "index.html")]);
    expect(held).toEqual([undefined]);
    const target = join(t.dir, "out");
    const restore = restic.restore;
    restic.restore = async (r) => (held.push(lockHolder()), restore(r));
    const under = await restoreJob(t.ctx, { ...req, target }, hooks());
    expect(under.mode).toBe("target");
    expect(held).toEqual([undefined, undefined]);
    expect(readFileSync(join(target, dir, "index.html"), "utf8")).toBe("new content");
    expect(readFileSync(join(dir, "index.html"), "utf8")).toBe("old");
    expect(restic.calls).not.toContain("snapshots");
  });
});
