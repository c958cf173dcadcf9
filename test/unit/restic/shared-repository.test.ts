import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors";
import { Restic } from "../../../src/restic/restic";
import { fakeRunner } from "../../helpers/fakes";

// A repository several hosts share ([local_backup] PRUNE_HOST): the restic wrapper is the one
// mechanism every path (CLI, TUI, daemon, schedules, after-run steps) goes through, so the rule
// "only the prune host takes the exclusive lock" lives there, and the others wait for locks.

const workDir = mkdtempSync(join(tmpdir(), "shared-repo-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const make = (hostname: string, version = "0.19.1") => {
  const runner = fakeRunner([
    { match: "restic version", stdout: `restic ${version} compiled with go1.26 on linux/amd64\n` },
    { match: "restic snapshots", stdout: "[]" },
    { match: "restic stats", stdout: '{"total_size":1}' },
    { match: /^restic (forget|prune|check|tag|unlock|dump|backup)/, stdout: "" },
  ]);
  const restic = new Restic(runner, {
    binary: "restic",
    repository: "s3:http://127.0.0.1:1/bucket",
    password: { kind: "file", path: "/pw", origin: "test" },
    workDir,
    shared: { pruneHost: "h1", hostname, lockWaitSec: 1800 },
  });
  const ran = () => runner.calls.filter((c) => c.args[0] !== "version").map((c) => c.args);
  return { restic, ran };
};

describe("shared repository: the exclusive lock is the prune host's", () => {
  it.each<[string, (r: Restic) => Promise<unknown>]>([
    ["forget by policy", (r) => r.forget({ tags: ["stack:a"], keep: { last: 1 } })],
    ["forget by id (delete)", (r) => r.forget({ ids: ["abcd1234"] })],
    ["prune", (r) => r.prune()],
    ["check", (r) => r.check()],
    ["tag (protect)", (r) => r.tag(["abcd1234"], { add: ["protected"] })],
    ["unlock --remove-all (another host's locks)", (r) => r.unlock({ removeAll: true })],
  ])("another host refuses %s before restic runs, naming the prune host", async (_what, call) => {
    const { restic, ran } = make("h2");
    const err = await call(restic).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain("only PRUNE_HOST h1");
    expect((err as AppError).exitCode).toBe(2);
    expect(ran()).toEqual([]);
  });

  it("the prune host runs them, waiting for other hosts' locks (--retry-lock)", async () => {
    const { restic, ran } = make("h1");
    await restic.forget({ tags: ["stack:a"], keep: { last: 1 } });
    await restic.prune();
    expect(ran()[0].slice(0, 3)).toEqual(["forget", "--retry-lock", "1800s"]);
    expect(ran()[1]).toEqual(["prune", "--retry-lock", "1800s"]);
  });

  it("every host's locking commands wait; lockless ones and plain unlock do not get the flag", async () => {
    const { restic, ran } = make("h2");
    await restic.stats();
    await restic.snapshots();
    await restic.dump("abcd1234", "/x", undefined, { noLock: true });
    await restic.unlock();
    const [stats, snapshots, dump, unlock] = ran();
    expect(stats.slice(0, 3)).toEqual(["stats", "--retry-lock", "1800s"]);
    expect(snapshots).not.toContain("--retry-lock");
    expect(dump).not.toContain("--retry-lock");
    expect(unlock).toEqual(["unlock"]);
  });

  it("a restic without --retry-lock (0.14) runs without it", async () => {
    const { restic, ran } = make("h2", "0.14.0");
    await restic.stats();
    expect(ran()[0]).not.toContain("--retry-lock");
  });
});
