import { randomBytes } from "node:crypto";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateStore } from "../../../src/state/store";
import { cli, cliAsync, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { webhook, type Webhook } from "../../helpers/webhook";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// Pruning beyond the keep policy on a real repository: each snapshot holds 2 MiB of random
// data of its own, so forgetting one frees about that much. MAX_REPO_SIZE at once and with
// NOTIFY_BEFORE_DELETE (pending, announced, cancellable, forgotten when due); MIN_FREE_PERCENT
// before a backup with LOW_SPACE_ACTION skip and prune. Never protected, never a stack's newest.

const MiB = 1024 * 1024;

describe("space limits: MAX_REPO_SIZE, MIN_FREE_PERCENT, pending deletions", () => {
  let w: TestWorld;
  let dir: string;
  let volume: string;
  let protectedId: string;
  let round = 0;
  let hook: Webhook;
  const got = () => hook.got.map((g) => g.body);

  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST: "50",
    BACKUP_TUI_NOTIFY_WEBHOOK_URL: hook.url,
    ...extra,
  });
  const snapshots = () =>
    (
      JSON.parse(restic(w, ["snapshots", "--json", "--no-lock", "--tag", "stack:shrink,kind:stack"])) as Array<{
        id: string;
        time: string;
      }>
    )
      .sort((a, b) => a.time.localeCompare(b.time))
      .map((s) => s.id);
  const repoBytes = () =>
    (JSON.parse(restic(w, ["stats", "--json", "--no-lock", "--mode", "raw-data"])) as { total_size: number })
      .total_size;
  /** Replaces the volume's content with 2 MiB of fresh random data and backs it up. */
  const backupFresh = async (extra: NodeJS.ProcessEnv = {}) => {
    for (const f of readdirSync(volume)) rmSync(join(volume, f), { force: true });
    writeFileSync(join(volume, `data-${++round}.bin`), randomBytes(2 * MiB));
    return cliAsync(w, ["backup", "shrink"], env(extra)); // async: the webhook server shares this event loop
  };

  beforeAll(async () => {
    ensureBinary();
    hook = await webhook();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "shrink", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
    volume = volumeMountpoint("shrink_data");
    for (let i = 0; i < 4; i++) expect((await backupFresh()).code).toBe(0);
    expect(cli(w, ["protect", snapshots()[0]]).code).toBe(0);
    protectedId = snapshots()[0]; // restic tag rewrites the snapshot: a new id
  });
  afterAll(async () => {
    composeDown(dir);
    w.cleanup();
    await hook.close();
  });

  it("MAX_REPO_SIZE forgets the oldest unprotected snapshots at once until the repository fits; the protected and the newest stay", async () => {
    const [oldest, second, third, newest] = snapshots();
    expect(oldest).toBe(protectedId);
    const budget = repoBytes() - 3 * MiB; // about two snapshots' worth must go
    const r = await cliAsync(
      w,
      ["forget", "--prune", "--scheduled", "--json"],
      env({ BACKUP_TUI_LOCAL_BACKUP_MAX_REPO_SIZE: `${budget}B` }),
    );
    expect(r.code, r.stderr).toBe(0);
    const result = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "forget");
    expect(result.space.deleted.map((s: { id: string }) => s.id)).toEqual([second, third]);
    expect(snapshots()).toEqual([oldest, newest]);
    expect(repoBytes()).toBeLessThanOrEqual(budget);
    // Remembered as forgotten here (a sync target losing them is no tamper); the others are not.
    const store = StateStore.open(join(w.stateDir, "state.db"));
    expect(store.targets.forgotten([oldest, second, third, newest])).toEqual(new Set([second, third]));
    store.close();
    const history = JSON.parse(cli(w, ["history", "--json", "--kind", "prune"]).stdout).runs;
    expect(history[0]).toMatchObject({ job: "prune", status: "succeeded" });
  });

  it("a budget that cannot be met takes every candidate, keeps the protected and the newest, and fails (exit 1) saying so", async () => {
    expect((await backupFresh()).code).toBe(0);
    const [oldest, , newest] = snapshots();
    const r = await cliAsync(
      w,
      ["forget", "--prune", "--scheduled"],
      env({ BACKUP_TUI_LOCAL_BACKUP_MAX_REPO_SIZE: "1K" }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("STILL OVER THE SPACE LIMITS");
    expect(snapshots()).toEqual([oldest, newest]);
    expect(oldest).toBe(protectedId);
  });

  it("with NOTIFY_BEFORE_DELETE the choice is announced and pending (status shows it), prune --cancel calls it off, and once due it is forgotten", async () => {
    expect((await backupFresh()).code).toBe(0);
    expect((await backupFresh()).code).toBe(0);
    const [, victim, , newest] = snapshots();
    const limits = {
      BACKUP_TUI_LOCAL_BACKUP_MAX_REPO_SIZE: `${repoBytes() - MiB}B`,
      BACKUP_TUI_LOCAL_BACKUP_NOTIFY_BEFORE_DELETE: "3s",
    };
    hook.got.length = 0;

    const first = await cliAsync(w, ["forget", "--prune", "--scheduled"], env(limits));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("unless cancelled");
    expect(snapshots()).toContain(victim); // nothing deleted yet
    const announced = got()
      .map((b) => JSON.parse(b))
      .find((n) => n.announce);
    expect(announced.title).toContain("snapshots will be deleted");
    expect(announced.lines.join("\n")).toContain(victim.slice(0, 8));
    const status = await cliAsync(w, ["status"], env(limits));
    expect(status.stdout).toMatch(new RegExp(`PENDING DELETIONS[\\s\\S]*${victim.slice(0, 8)} shrink`));

    const cancel = await cliAsync(w, ["prune", "--cancel"], env(limits));
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain("cancelled 1 pending deletion");
    expect((await cliAsync(w, ["status"], env(limits))).stdout).not.toContain("PENDING DELETIONS");

    expect((await cliAsync(w, ["forget", "--prune", "--scheduled"], env(limits))).code).toBe(0); // chosen again
    expect(snapshots()).toContain(victim);
    await new Promise((r) => setTimeout(r, 3500));
    const due = await cliAsync(w, ["forget", "--prune", "--scheduled"], env(limits));
    expect(due.code, due.stderr).toBe(0);
    expect(due.stdout).toContain("forgotten for space");
    expect(snapshots()).not.toContain(victim);
    expect(snapshots()).toContain(newest);
    expect(snapshots()).toContain(protectedId);
    expect((await cliAsync(w, ["status"], env(limits))).stdout).not.toContain("PENDING DELETIONS");
  });

  it("below MIN_FREE_PERCENT before a backup: skip refuses it (exit 1, recorded, notified); prune makes room first and backs up", async () => {
    const before = snapshots();
    hook.got.length = 0;
    const floor = { BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT: "99" }; // never met on a real disk
    const skipped = await backupFresh(floor);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toContain("backup skipped: only");
    expect(snapshots()).toEqual(before);
    expect(JSON.parse(got()[0])).toMatchObject({ kind: "backup", status: "failed" });
    expect(JSON.parse(cli(w, ["history", "--json", "--kind", "backup"]).stdout).runs[0]).toMatchObject({
      status: "skipped",
    });

    const pruned = await backupFresh({ ...floor, BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION: "prune" });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain("forgetting the oldest unprotected snapshots first");
    const after = snapshots();
    // Everything but the protected one and the newest went; then the new backup was added.
    expect(after).toEqual([protectedId, before[before.length - 1], after[2]]);
    expect(after).toHaveLength(3);
  });
});
