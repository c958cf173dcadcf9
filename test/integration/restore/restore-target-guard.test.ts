import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildContext } from "../../../src/app";
import { loadConfig } from "../../../src/config/load";
import { UsageError } from "../../../src/errors";
import { resolveSnapshot } from "../../../src/services/snapshots/catalog";
import { createBackend } from "../../../src/tui/backend";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, containerStates, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";

// Issue 17 items 1 and 3, issue 16 item 10: a restore never lands on a live path under another name
// (--target compared by identity), in place only the stack's own snapshot of this host writes, and
// only the stack's paths here; a dry run refuses exactly what the run refuses, with the same code.
// Every case is tried against two running stacks and real restic, and must leave the live data
// byte-identical and the containers running.

describe("restore guards: --target by identity, in place only the stack's own paths, dry runs refuse alike", () => {
  let w: TestWorld;
  let helloDir: string;
  let otherDir: string;
  let mp: string;
  let otherMp: string;
  let victim: string;
  let otherStackSnap: string;
  let helloSnap: string;
  let foreignSnap: string;
  let craftedSnap: string;
  let alias: string | undefined;
  const running = { "hello-app-1": "running" };

  const snapshotId = (out: string) =>
    (
      JSON.parse(
        out
          .trim()
          .split("\n")
          .filter((l) => l.includes('"summary"'))
          .pop()!,
      ) as { snapshot_id: string }
    ).snapshot_id;
  const live = () => ({
    hello: treeDigest(mp),
    helloDir: treeDigest(helloDir),
    other: treeDigest(otherMp),
    victim: treeDigest(victim),
  });
  /** The restore refused with `code` (and its dry run with the same), and nothing live changed. */
  const refused = (args: string[], why: RegExp, code = 2) => {
    const before = live();
    const r = cli(w, ["restore", ...args]);
    expect(r.code, r.stdout + r.stderr).toBe(code);
    expect(r.stderr).toMatch(why);
    expect(live()).toEqual(before);
    const dry = cli(w, ["restore", ...args.filter((a) => a !== "--yes"), "--dry-run"]);
    expect(dry.code, `the dry run of ${args.join(" ")}: ${dry.stdout}${dry.stderr}`).toBe(code);
    expect(dry.stderr).toMatch(why);
    expect(live()).toEqual(before);
    expect(containerStates("hello")).toEqual(running);
    expect(containerStates("other")).toEqual({ "other-app-1": "running" });
  };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    helloDir = writeStack(w.stacksDir, "hello", { app: { volumes: ["data:/data"] } }, ["data"]);
    otherDir = writeStack(w.stacksDir, "other", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(helloDir);
    composeUp(otherDir);
    mp = volumeMountpoint("hello_data");
    otherMp = volumeMountpoint("other_data");
    writeFileSync(join(mp, "greeting.txt"), "hello as backed up\n");
    writeFileSync(join(otherMp, "other.txt"), "other as backed up\n");
    expect(cli(w, ["backup", "hello", "other"]).code).toBe(0);
    // Written since the backup: a restore that rolled the volume back would erase it.
    writeFileSync(join(mp, "greeting.txt"), "hello as it is now\n");
    writeFileSync(join(mp, "since.txt"), "written after the backup\n");
    writeFileSync(join(otherMp, "other.txt"), "other as it is now\n");
    const stackSnap = (name: string) =>
      JSON.parse(cli(w, ["snapshots", "--stack", name, "--json"]).stdout.trim().split("\n").pop()!).snapshots[0]
        .id as string;
    otherStackSnap = stackSnap("other");
    helloSnap = stackSnap("hello");

    // Snapshots tagged stack:hello that name a path of this host outside the stack (/etc/nginx's stand-in):
    // one made by another host sharing the repository, one claiming to be this host's.
    victim = join(w.dir, "etc-victim");
    mkdirSync(victim);
    writeFileSync(join(victim, "nginx.conf"), "the snapshot's version\n");
    const manifest = join(w.dir, "crafted", "staging", "hello", "manifest.json");
    mkdirSync(dirname(manifest), { recursive: true });
    writeFileSync(
      manifest,
      JSON.stringify({
        format: 1,
        stack: "hello",
        project: "hello",
        dir: helloDir,
        composeFiles: [join(helloDir, "compose.yaml")],
        envFiles: [],
        host: "otherhost",
        createdAt: new Date().toISOString(),
        strategy: "stop",
        paths: [victim],
        excludes: [],
        volumes: [],
        containers: [],
        tools: {},
      }),
    );
    const tags = ["backup-tui", "stack:hello", "kind:stack"].flatMap((t) => ["--tag", t]);
    foreignSnap = snapshotId(restic(w, ["backup", "--json", "--host", "otherhost", ...tags, victim, manifest]));
    craftedSnap = snapshotId(restic(w, ["backup", "--json", "--host", hostname(), ...tags, victim, manifest]));
    writeFileSync(join(victim, "nginx.conf"), "this host's own version\n");

    // A bind mount of the live volume elsewhere: the same directory under another name.
    const a = mkdtempSync(join(tmpdir(), "btui-alias-"));
    if (spawnSync("mount", ["--bind", mp, a]).status === 0) alias = a;
  });
  afterAll(() => {
    if (alias) spawnSync("umount", [alias]);
    composeDown(helloDir);
    composeDown(otherDir);
    w?.cleanup();
  });

  it("--target /proc/self/root (the host's / under another name) is refused: the live volume is not rolled back", () => {
    refused(["--stack", "hello", "--target", "/proc/self/root"], /--target \/proc\/self\/root is inside \/proc/);
  });

  it("--target /proc/PID/root, of a host process and of the running container (its /data is the live volume), is refused", () => {
    refused(["--stack", "hello", "--target", `/proc/${process.pid}/root`], /is inside \/proc/);
    const pid = docker(["inspect", "-f", "{{.State.Pid}}", "hello-app-1"]).trim();
    refused(["--stack", "hello", "--target", `/proc/${pid}/root/data/restored`], /is inside \/proc/);
  });

  it("a symlink to the volume's mountpoint, or to /, is refused as a target, and so is a directory inside it", () => {
    const link = join(w.dir, "to-volume");
    symlinkSync(mp, link);
    refused(["--stack", "hello", "--target", link], /reaches .*to-volume, which is the live .*_data/);
    refused(["--stack", "hello", "--target", join(link, "restored")], /reaches .* which is the live .*_data/);
    const root = join(w.dir, "to-root");
    symlinkSync("/", root);
    refused(["--stack", "hello", "--target", root], /is the host's \/ \(or another name for it\)/);
  });

  it("a bind mount of the live volume elsewhere is refused as a target (same device and inode)", (ctx) => {
    if (!alias) return ctx.skip();
    refused(["--stack", "hello", "--target", join(alias, "restored")], /reaches .* which is the live .*_data/);
    refused(["--volume", "hello_data", "--target", join(alias, "restored")], /reaches .* which is the live .*_data/);
  });

  it("a target that is not empty is refused; --force restores into it, keeping its files; --target / stays refused, dry run or not", () => {
    const t = mkdtempSync(join(tmpdir(), "btui-full-"));
    writeFileSync(join(t, "keep.txt"), "mine\n");
    refused(["--stack", "hello", "--target", t], /is not empty/);
    expect(readdirSync(t)).toEqual(["keep.txt"]);
    const r = cli(w, ["restore", "--stack", "hello", "--target", t, "--force"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(t, mp, "greeting.txt"), "utf8")).toBe("hello as backed up\n");
    expect(readFileSync(join(t, "keep.txt"), "utf8")).toBe("mine\n");
    // Forced, a symlink inside it that leads to the live volume is still refused.
    rmSync(join(t, mp), { recursive: true });
    symlinkSync(mp, join(t, mp));
    refused(["--stack", "hello", "--target", t, "--force"], /is the live .*_data|symlink to/);
    // A symlink above the destination (t/var -> a directory outside t) would carry the writes out too.
    const top = join(t, mp.split("/")[1]);
    rmSync(top, { recursive: true });
    const outside = mkdtempSync(join(tmpdir(), "btui-out-"));
    symlinkSync(outside, top);
    refused(["--stack", "hello", "--target", t, "--force"], /symlink to .*btui-out-.* outside it/);
    expect(readdirSync(outside)).toEqual([]);
    refused(["--stack", "hello", "--file", join(mp, "greeting.txt"), "--target", "/"], /--target \/ is the host's \//);
    refused(["--stack", "hello", "--target", "/", "--force"], /--target \/ is the host's \//);
  });

  it("in place, another stack's snapshot is refused for this stack: neither stack's data changes", () => {
    refused(
      ["--stack", "hello", "--snapshot", otherStackSnap, "--yes"],
      /is not a snapshot of stack hello \(it is of stack other\)/,
    );
  });

  it("in place, another host's snapshot is refused; with --host it still cannot write a path that is not the stack's here; nor can this host's", () => {
    refused(["--stack", "hello", "--snapshot", foreignSnap, "--yes"], /was made by host otherhost, not this host/);
    refused(
      ["--stack", "hello", "--snapshot", foreignSnap, "--host", "otherhost", "--yes"],
      /would write .*etc-victim: not a path of stack hello on this host/,
    );
    refused(
      ["--stack", "hello", "--snapshot", craftedSnap, "--yes"],
      /would write .*etc-victim: not a path of stack hello on this host/,
    );
    expect(readFileSync(join(victim, "nginx.conf"), "utf8")).toBe("this host's own version\n");
  });

  it("the confirmation names every live path the restore replaces", () => {
    const r = cli(w, ["restore", "--stack", "hello", "--snapshot", helloSnap]); // no terminal, no --yes: refused at the question
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`replacing ${helloDir}, ${mp}`);
  });

  it("the TUI's restore to a directory goes through the same guard: the preview and the restore refuse /proc/self/root", async () => {
    const config = loadConfig({
      flag: w.configFile,
      env: { ...process.env, BACKUP_TUI_STATE_DIR: w.stateDir },
      exeDir: w.dir,
      cwd: w.dir,
      uid: 0,
    });
    const ctx = buildContext(config, { globals: {}, commandLine: "test" });
    try {
      const backend = createBackend(ctx);
      const before = live();
      const snapshot = await resolveSnapshot(ctx, "latest", { stack: "hello", host: config.hostname, kind: "stack" });
      const choice = { snapshot, scope: { kind: "stack" as const, stack: "hello" }, target: "/proc/self/root" };
      await expect(backend.previewRestore(choice)).rejects.toBeInstanceOf(UsageError);
      await expect(backend.restore(choice, undefined, new AbortController().signal, () => undefined)).rejects.toThrow(
        /inside \/proc/,
      );
      const other = await resolveSnapshot(ctx, otherStackSnap, {});
      await expect(
        backend.restore(
          { snapshot: other, scope: { kind: "stack", stack: "hello" } },
          undefined,
          new AbortController().signal,
          () => undefined,
        ),
      ).rejects.toThrow(/not a snapshot of stack hello/);
      expect(live()).toEqual(before);
      expect(containerStates("hello")).toEqual(running);
    } finally {
      ctx.store.close();
    }
  });

  it("backup --dry-run makes the run's refusal: low space with LOW_SPACE_ACTION=skip exits 1 in both, with the same words", () => {
    const low = { BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT: "99", BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION: "skip" };
    const snapshotsBefore = restic(w, ["snapshots", "--json"]);
    const run = cli(w, ["backup", "hello"], low);
    const dry = cli(w, ["backup", "hello", "--dry-run"], low);
    expect(run.code, run.stderr).toBe(1);
    expect(dry.code, dry.stdout + dry.stderr).toBe(run.code);
    expect(run.stderr).toMatch(
      /backup skipped: only .*% of the repository's filesystem is free \(MIN_FREE_PERCENT 99%\)/,
    );
    expect(dry.stderr).toMatch(
      /backup skipped: only .*% of the repository's filesystem is free \(MIN_FREE_PERCENT 99%\)/,
    );
    expect(dry.stdout).not.toContain("Dry run");
    expect(restic(w, ["snapshots", "--json"])).toBe(snapshotsBefore);
    const prune = cli(w, ["backup", "hello", "--dry-run"], {
      ...low,
      BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION: "prune",
    });
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout).toContain("would forget the oldest unprotected snapshots first (LOW_SPACE_ACTION=prune)");
    expect(containerStates("hello")).toEqual(running);
  });

  it("the stack's own snapshot still restores in place, and so does the safety snapshot it left (no manifest: the stack's paths here)", () => {
    const r = cli(w, ["restore", "--stack", "hello", "--snapshot", helloSnap, "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(mp, "greeting.txt"), "utf8")).toBe("hello as backed up\n");
    expect(containerStates("hello")).toEqual(running);
    const safety = JSON.parse(restic(w, ["snapshots", "--json", "--tag", "kind:pre-restore"])) as Array<{ id: string }>;
    expect(safety).toHaveLength(1);
    const back = cli(w, ["restore", "--stack", "hello", "--snapshot", safety[0].id, "--yes"]);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(join(mp, "since.txt"), "utf8")).toBe("written after the backup\n");
    expect(containerStates("hello")).toEqual(running);
  });
});
