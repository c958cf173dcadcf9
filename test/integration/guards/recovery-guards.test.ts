import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { BIN, cli, ensureBinary, makeWorld, type TestWorld } from "../../helpers/env";
import { remoteEnv } from "../../helpers/servers";

// Stage 3 and the disaster recovery's guards, with no container: a cloud copy (a local-path
// rclone remote) holding an old host's stack snapshot (its stack directory and an EXTRA_PATH,
// /etc/nginx's stand-in) and a doomsday snapshot whose inventory lists that one stopped stack.
// The snapshots are written with restic directly, so the recovery restores files only.

describe("recovery guards: pull over another repository, live paths that exist, a journal that lies, pasted next steps", () => {
  let w: TestWorld;
  let cloud: NodeJS.ProcessEnv;
  let stackDir: string;
  let extra: string;
  let before: { stack: Record<string, string>; extra: Record<string, string> };

  const resticAt = (repo: string, args: string[]) =>
    execFileSync("restic", args, {
      env: {
        ...process.env,
        RESTIC_REPOSITORY: repo,
        RESTIC_PASSWORD_FILE: w.passwordFile,
        RESTIC_PASSWORD: undefined,
      },
      encoding: "utf8",
    });
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
  /** A new host: its own state directory and repository path (missing), the cloud copy configured. */
  const host = (name: string, extraEnv: NodeJS.ProcessEnv = {}) => ({
    ...cloud,
    BACKUP_TUI_STATE_DIR: join(w.dir, `state-${name}`),
    BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: join(w.dir, `repo-${name}`),
    ...extraEnv,
  });
  const journalOf = (env: NodeJS.ProcessEnv) => join(env.BACKUP_TUI_STATE_DIR!, "disaster", "journal.json");
  const wipeRecovered = () => {
    rmSync(stackDir, { recursive: true, force: true });
    rmSync(extra, { recursive: true, force: true });
  };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    resticAt(w.repo, ["init", "-q"]);
    stackDir = join(w.stacksDir, "site");
    mkdirSync(join(stackDir, "html"), { recursive: true });
    writeFileSync(join(stackDir, "compose.yaml"), "services:\n  web:\n    image: busybox\n");
    writeFileSync(join(stackDir, "html", "index.html"), "<h1>the old host's site</h1>\n");
    extra = join(w.dir, "etc-nginx");
    mkdirSync(extra);
    writeFileSync(join(extra, "nginx.conf"), "server { listen 80; } # the old host's\n");
    before = { stack: treeDigest(stackDir), extra: treeDigest(extra) };

    const staging = join(w.dir, "old-state", "staging");
    const manifest = join(staging, "site", "manifest.json");
    mkdirSync(dirname(manifest), { recursive: true });
    writeFileSync(
      manifest,
      JSON.stringify({
        format: 1,
        stack: "site",
        project: "site",
        dir: stackDir,
        composeFiles: [join(stackDir, "compose.yaml")],
        envFiles: [],
        host: "oldhost",
        createdAt: new Date().toISOString(),
        strategy: "stop",
        paths: [stackDir, extra],
        excludes: [],
        volumes: [],
        containers: [],
        tools: {},
      }),
    );
    const tags = (...t: string[]) => ["backup-tui", ...t].flatMap((x) => ["--tag", x]);
    const stackSnap = snapshotId(
      resticAt(w.repo, [
        "backup",
        "--json",
        "--host",
        "oldhost",
        ...tags("stack:site", "kind:stack"),
        stackDir,
        extra,
        manifest,
      ]),
    );
    const inventory = join(staging, "doomsday", "inventory.json");
    mkdirSync(dirname(inventory), { recursive: true });
    writeFileSync(
      inventory,
      JSON.stringify({
        format: 1,
        host: "oldhost",
        createdAt: new Date().toISOString(),
        docker: { version: "27.0" },
        containers: [],
        networks: [],
        volumes: [],
        images: [],
        stacks: [
          {
            name: "site",
            project: "site",
            dir: stackDir,
            composeFiles: [join(stackDir, "compose.yaml")],
            envFiles: [],
            running: false,
            snapshot: stackSnap,
            dependsOn: [],
          },
        ],
        files: {},
        savedImages: [],
      }),
    );
    resticAt(w.repo, ["backup", "-q", "--host", "oldhost", ...tags("kind:doomsday"), inventory]);
    const mirror = join(w.dir, "mirror");
    cpSync(w.repo, mirror, { recursive: true });
    cloud = {
      ...remoteEnv("cloud", "local"),
      BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: "cloud",
      BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: mirror,
      BACKUP_TUI_RETRY_BASE_MS: "200",
    };
    wipeRecovered(); // the old host is gone
  });
  afterAll(() => w?.cleanup());

  /** Another repository, with a snapshot of its own, where the pull would go. */
  const otherRepository = (name: string) => {
    const repo = join(w.dir, name);
    resticAt(repo, ["init", "-q"]);
    const data = join(w.dir, `${name}-data`);
    mkdirSync(data);
    writeFileSync(join(data, "mine.txt"), "this host's own backups\n");
    resticAt(repo, ["backup", "-q", data]);
    return repo;
  };

  it("restore PATH into a directory holding another restic repository: refused (exit 2), with or without --force, the repository byte-identical", () => {
    const other = otherRepository("other-pull");
    const was = treeDigest(other);
    for (const extraArgs of [[], ["--force"]]) {
      const r = cli(w, ["restore", other, ...extraArgs], host("pull-other"));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `error: ${other} holds a different restic repository than cloud:${cloud.BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH}`,
      );
      expect(r.stderr).toContain("Nothing was copied");
      expect(treeDigest(other)).toEqual(was);
    }
  });

  it("restore --disaster whose RESTIC_REPOSITORY holds another repository: refused (exit 2), the repository byte-identical, no journal", () => {
    const other = otherRepository("other-disaster");
    const was = treeDigest(other);
    const env = host("disaster-other", { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: other });
    const r = cli(w, ["restore", "--disaster", "--host", "oldhost", "--yes"], env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("holds a different restic repository");
    expect(treeDigest(other)).toEqual(was);
    expect(existsSync(journalOf(env))).toBe(false);
  });

  it("restore --disaster with an EXTRA_PATH that exists on the new host: refused (exit 2) naming it, nothing changed, no journal; once it and the pulled copy are gone, the rerun starts afresh, pulls again and recovers", () => {
    mkdirSync(extra);
    writeFileSync(join(extra, "nginx.conf"), "server { listen 8080; } # the NEW host's own\n");
    const mine = treeDigest(extra);
    const env = host("paths");
    const refused = cli(w, ["restore", "--disaster", "--host", "oldhost", "--yes"], env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`path ${extra}`);
    expect(refused.stderr).toContain("Nothing was changed");
    expect(treeDigest(extra)).toEqual(mine);
    expect(existsSync(stackDir)).toBe(false);
    expect(existsSync(journalOf(env))).toBe(false);

    // The conflict removed, and the pulled copy too (another disk, a cleanup): the rerun must not trust the first run's pull.
    rmSync(extra, { recursive: true });
    rmSync(env.BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY, { recursive: true, force: true });
    const r = cli(w, ["restore", "--disaster", "--host", "oldhost", "--yes"], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr + r.stdout).not.toContain("continuing the recovery");
    expect(r.stderr + r.stdout).not.toMatch(/init/);
    expect(treeDigest(extra)).toEqual(before.extra);
    expect(treeDigest(stackDir)).toEqual(before.stack);
    wipeRecovered();
  });

  it("a journal that says the pull was done while the repository is gone: the resumed run checks, pulls again and recovers (never 'create it with init')", () => {
    const env = host("journal");
    mkdirSync(dirname(journalOf(env)), { recursive: true });
    writeFileSync(
      journalOf(env),
      JSON.stringify({
        startedAt: "2026-01-01T00:00:00.000Z",
        host: "oldhost",
        committed: true,
        done: ["pull"],
        created: { networks: [], volumes: [] },
        preexisting: { networks: [], volumes: [], containers: [], dirs: [], paths: [] },
      }),
    );
    const r = cli(w, ["restore", "--disaster", "--host", "oldhost", "--yes"], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr + r.stdout).toContain("continuing the recovery");
    expect(r.stderr + r.stdout).toContain(
      "step pull was done by the interrupted run, but what it made is gone: doing it again",
    );
    expect(treeDigest(stackDir)).toEqual(before.stack);
    wipeRecovered();
  });

  it("restore --disaster without a cloud remote and no repository: a recovery hint, never `init`", () => {
    const env = {
      BACKUP_TUI_STATE_DIR: join(w.dir, "state-noremote"),
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: join(w.dir, "repo-noremote"),
    };
    const r = cli(w, ["restore", "--disaster", "--host", "oldhost", "--yes"], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`no restic repository at ${env.BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY}`);
    expect(r.stderr).toContain("set RCLONE_REMOTE and RCLONE_PATH");
    expect(r.stderr).not.toMatch(/init/);
  });

  it("stage 3's printed next steps, pasted into a clean shell (with --dry-run), succeed: --config, the pulled path and the password file from the environment are in them, no --yes", () => {
    // The config's own password file is wrong: the run gets the right one from the environment, the pasted commands must too.
    const config = join(w.dir, "other config.ini");
    // It is the old host's config (from its recovery kit): it gives the stack its EXTRA_PATHS, which a restore
    // in place needs, since it writes only the paths this host's config gives the stack (issue 17.3).
    writeFileSync(
      config,
      readFileSync(w.configFile, "utf8").replace(
        /^RESTIC_PASSWORD_FILE=.*$/m,
        "RESTIC_PASSWORD_FILE=/nonexistent/restic-password",
      ) + `[stack:site]\nEXTRA_PATHS=${extra}\n`,
      { mode: 0o600 },
    );
    const pulled = join(w.dir, "pulled");
    const env: NodeJS.ProcessEnv = { ...w.env, ...cloud, BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_FILE: w.passwordFile };
    delete env.BACKUP_TUI_CONFIG;
    const r = spawnSync(BIN, ["--config", config, "restore", pulled], { env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const steps = r.stdout
      .split("\n")
      .slice(r.stdout.split("\n").findIndex((l) => l.startsWith("Next steps")))
      .filter((l) => /^ {2}\S.*backup-tui /.test(l))
      .map((l) => l.trim());
    expect(steps).toHaveLength(1);
    expect(steps[0]).not.toContain("--yes");
    expect(steps[0]).toContain(`--config '${config}'`);
    expect(steps[0]).toContain(`BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY=${pulled}`);
    // A clean shell: none of this run's variables, backup-tui on PATH.
    const shell = { PATH: `${dirname(BIN)}:${process.env.PATH}`, HOME: process.env.HOME ?? "/root", NO_COLOR: "1" };
    const pasted = spawnSync("sh", ["-c", `${steps[0]} --dry-run`], { env: shell, encoding: "utf8" });
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(pasted.stdout).toContain("Dry run: restoring stack site from");
    expect(pasted.stdout).toContain(join(extra, "nginx.conf"));
  });

  it("a password file that does not exist: a clear message naming the source and the path (exit 78), never restic's raw 'Resolving password failed'", () => {
    const r = cli(w, ["snapshots", "--all"], {
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_FILE: "/nonexistent/restic-password",
    });
    expect(r.stderr).not.toContain("Resolving password failed");
    expect(r.stderr).toContain(
      "the password file /nonexistent/restic-password (environment BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_FILE)",
    );
    expect(r.code, r.stderr).toBe(78);
  });
});
