import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildContext } from "../../../src/app";
import { loadConfig } from "../../../src/config/load";
import type { SyncTarget } from "../../../src/config/targets";
import { AppError } from "../../../src/errors";
import type { ServiceContext } from "../../../src/services/run/context";
import type { ServiceEvent } from "../../../src/services/run/events";
import { copyToResticTarget } from "../../../src/services/sync/restic-target";
import { makeWorld, restic, type TestWorld } from "../../helpers/env";
import { listFiles, rcloneServe, stopAllServers, type RcloneServer } from "../../helpers/servers";

// MODE=restic against real restic: a local-path target (created with the local chunker
// parameters, filled incrementally, deduplicating), a target on `rclone serve restic --append-only`
// (copies land; this host's own credentials cannot forget or prune there), and a target whose
// password is wrong (a clear error; nothing written, nothing created over it).

const MiB = 1024 * 1024;
/** The big file: 20 MiB, of which a change rewrites 2 MiB in one place. */
const BIG = 20 * MiB;
const REST_PASS = "rest-Pa55-append-77c1";
const TARGET_PASS = "target-password-5150";

describe("sync to a restic repository (MODE=restic)", () => {
  let w: TestWorld;
  let data: string;
  let server: RcloneServer;
  let ctx: ServiceContext;
  let targetPw: string;
  const localTarget = () => join(w.dir, "target-local");
  const wrongTarget = () => join(w.dir, "target-wrong");
  const signal = new AbortController().signal;

  /** restic against any repository with a password file, for assertions. */
  const resticAt = (repo: string, pwFile: string, args: string[], okFail = false) => {
    const r = spawnSync("restic", args, {
      env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: pwFile, RESTIC_PASSWORD: undefined },
      encoding: "utf8",
      maxBuffer: 64 * MiB,
    });
    if (r.status !== 0 && !okFail) throw new Error(`restic ${args.join(" ")}: ${r.stderr}`);
    return r;
  };
  const snapshotIds = (repo: string, pwFile: string) =>
    (JSON.parse(resticAt(repo, pwFile, ["snapshots", "--json", "--no-lock"]).stdout) as Array<{ id: string }>).map(
      (s) => s.id,
    );
  const localIds = () => (JSON.parse(restic(w, ["snapshots", "--json"])) as Array<{ id: string }>).map((s) => s.id);
  const backup = () => restic(w, ["backup", "-q", data]);
  /** 10% of the big file rewritten in place (the rest stays as it was). */
  const change10Percent = () => {
    const fd = openSync(join(data, "big.bin"), "r+");
    writeSync(fd, randomBytes(BIG / 10), 0, BIG / 10, 8 * MiB);
    closeSync(fd);
  };
  const dirSize = (dir: string) => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
  const target = (name: string): SyncTarget => {
    const t = ctx.config.targets.find((x) => x.name === name);
    if (!t) throw new Error(`no target ${name}`);
    return t;
  };
  const run = async (name: string, o: { dryRun?: boolean } = {}) => {
    const events: ServiceEvent[] = [];
    const result = await copyToResticTarget(ctx, target(name), { signal, ...o }, (e) => events.push(e));
    return { result, events };
  };

  beforeAll(async () => {
    w = makeWorld();
    restic(w, ["init", "-q"]);
    data = join(w.dir, "data");
    mkdirSync(data);
    writeFileSync(join(data, "big.bin"), randomBytes(BIG));
    writeFileSync(join(data, "note.txt"), "first\n");
    backup();
    writeFileSync(join(data, "note.txt"), "second\n");
    backup();
    targetPw = join(w.dir, "target-password");
    writeFileSync(targetPw, `${TARGET_PASS}\n`, { mode: 0o600 });
    const otherPw = join(w.dir, "other-password");
    writeFileSync(otherPw, "the-real-one-0000\n", { mode: 0o600 });
    resticAt(wrongTarget(), otherPw, ["init", "-q"]);
    server = await rcloneServe("restic", {
      dir: join(w.dir, "srv-rest"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: REST_PASS,
      appendOnly: true,
    });
    appendFileSync(
      w.configFile,
      [
        "[cloud_sync:near]",
        "MODE=restic",
        `RESTIC_REPOSITORY=${localTarget()}`,
        `RESTIC_PASSWORD_FILE=${targetPw}`,
        "[cloud_sync:vault]",
        "MODE=restic",
        `RESTIC_REPOSITORY=rest:http://backup:${REST_PASS}@127.0.0.1:${server.port}/host1`,
        `RESTIC_PASSWORD_FILE=${targetPw}`,
        "[cloud_sync:wrong]",
        "MODE=restic",
        `RESTIC_REPOSITORY=${wrongTarget()}`,
        `RESTIC_PASSWORD_FILE=${targetPw}`,
        "",
      ].join("\n"),
    );
    const config = loadConfig({
      flag: w.configFile,
      env: { ...process.env, BACKUP_TUI_STATE_DIR: w.stateDir },
      exeDir: w.dir,
      cwd: w.dir,
      uid: process.getuid?.() ?? 0,
    });
    ctx = buildContext(config, { globals: {}, commandLine: "test" });
  });

  afterAll(async () => {
    ctx?.store.close();
    await stopAllServers();
    w?.cleanup();
  });

  it("a dry run against a target that does not exist yet reports every local snapshot and creates nothing", async () => {
    const { result } = await run("near", { dryRun: true });

    expect(result).toEqual({
      created: false,
      copied: [],
      missing: localIds(),
      targetSnapshots: [],
      targetOriginals: [],
    });
    expect(existsSync(localTarget())).toBe(false);
  });

  it("the first sync creates the target with the local chunker polynomial and copies every snapshot", async () => {
    const { result, events } = await run("near");

    const poly = (repo: string, pw: string) =>
      (JSON.parse(resticAt(repo, pw, ["cat", "config", "--json"]).stdout) as { chunker_polynomial: string })
        .chunker_polynomial;
    expect(result.created).toBe(true);
    expect(poly(localTarget(), targetPw)).toBe(poly(w.repo, w.passwordFile));
    expect(result.copied.map((c) => c.source).sort()).toEqual(localIds().sort());
    expect(result.copied.every((c) => c.copy && c.copy !== c.source)).toBe(true);
    expect(result.targetSnapshots.sort()).toEqual(snapshotIds(localTarget(), targetPw).sort());
    expect(result.targetSnapshots).toHaveLength(2);
    // The copies by their originals: this host's own ids (the tamper reference).
    expect([...result.targetOriginals].sort()).toEqual(localIds().sort());
    expect(events.filter((e) => e.type === "info" && /^snapshot \w+ copied/.test(e.message))).toHaveLength(2);
    expect(events.some((e) => e.type === "phase" && e.phase === "transfer")).toBe(true);
  });

  it("after one more backup with 10% of the data changed, the next sync copies exactly that one and the target grows by far less than the data", async () => {
    const known = localIds();
    const localBefore = dirSize(w.repo);
    change10Percent();
    backup();
    const localGrown = dirSize(w.repo) - localBefore;
    const newest = localIds().filter((id) => !known.includes(id));
    const before = dirSize(localTarget());
    const { result: dry } = await run("near", { dryRun: true });
    expect(dry.missing).toHaveLength(1);
    expect(snapshotIds(localTarget(), targetPw)).toHaveLength(2);

    const { result } = await run("near");

    const grown = dirSize(localTarget()) - before;
    expect(result.created).toBe(false);
    expect(result.copied).toHaveLength(1);
    expect(result.copied[0].source).toBe(dry.missing[0]);
    expect(newest).toEqual(dry.missing);
    expect(result.targetSnapshots).toHaveLength(3);
    // 2 of 20 MiB changed: the target adds what the local backup added (the changed chunks), not
    // the file again, as it would with chunker parameters of its own.
    expect(grown).toBeLessThan(BIG / 2); // chunk boundaries around the change vary with the random data
    expect(grown).toBeLessThan(localGrown + MiB);
    expect(grown).toBeGreaterThan(BIG / 10);
  });

  it("a sync with nothing new copies nothing and runs no restic copy", async () => {
    const calls: string[] = [];
    const original = ctx.runner.run.bind(ctx.runner);
    ctx.runner.run = (file, args, o) => {
      calls.push(args.join(" "));
      return original(file, args, o);
    };
    try {
      const { result } = await run("near");
      expect(result.copied).toEqual([]);
      expect(result.targetSnapshots).toHaveLength(3);
      expect(calls.some((c) => c.startsWith("copy"))).toBe(false);
    } finally {
      ctx.runner.run = original;
    }
  });

  it("an append-only REST server takes the copies, and this host's own credentials cannot forget or prune them there", async () => {
    const { result } = await run("vault");

    expect(result.created).toBe(true);
    expect(result.copied).toHaveLength(localIds().length);
    const repo = `rest:http://backup:${REST_PASS}@127.0.0.1:${server.port}/host1`;
    const ids = snapshotIds(repo, targetPw);
    expect(ids.sort()).toEqual([...result.targetSnapshots].sort());

    const forget = resticAt(repo, targetPw, ["forget", "--keep-last", "1", "--prune"], true);
    expect(forget.status).not.toBe(0);
    expect(forget.stderr).toMatch(/403|Forbidden/);
    expect(snapshotIds(repo, targetPw).sort()).toEqual(ids.sort());
    expect(resticAt(repo, targetPw, ["check", "-q"], true).status).toBe(0);

    // and a second run copies nothing more there
    const again = await run("vault");
    expect(again.result.copied).toEqual([]);
  });

  it("a target whose password is wrong fails clearly, names the target, and nothing is written or initialised over it", async () => {
    const files = () => listFiles(wrongTarget()).sort();
    const before = files();
    const config = readFileSync(join(wrongTarget(), "config"));

    const err = await run("wrong").then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.message).toContain("sync target wrong");
    expect(e.message).toContain(wrongTarget());
    expect(e.message).toMatch(/does not open with its password; nothing was written/);
    expect(e.hint).toContain("[cloud_sync:wrong]");
    expect(`${e.message} ${e.hint}`).not.toContain(TARGET_PASS);
    expect(files()).toEqual(before);
    expect(readFileSync(join(wrongTarget(), "config")).equals(config)).toBe(true);
  });

  it("an error on the REST target shows its URL with the credentials masked", async () => {
    await server.stop();
    try {
      const err = await copyToResticTarget(
        ctx,
        target("vault"),
        { signal: AbortSignal.timeout(8000) },
        () => undefined,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const text = `${(err as Error).message} ${(err as AppError).hint ?? ""}`;
      expect(text).not.toContain(REST_PASS);
    } finally {
      await server.start();
    }
  });
});
