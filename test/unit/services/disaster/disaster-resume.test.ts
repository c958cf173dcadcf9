import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppError, ToolError } from "../../../../src/errors";
import type { Runner } from "../../../../src/exec/runner";
import { classify } from "../../../../src/restic/errors";
import { Restic } from "../../../../src/restic/restic";
import { occupied } from "../../../../src/fsops/probe";
import { liveHostPaths, recoveryConflicts } from "../../../../src/services/disaster/conflicts";
import { DisasterJournal } from "../../../../src/services/disaster/journal";
import type { StackManifest } from "../../../../src/services/snapshots/manifest";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "btui-dr-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("disaster journal: only an accepted recovery is continued", () => {
  it("Given a run that pulled and was then refused (never committed), Then no journal is on disk and the next run starts afresh and pulls again", async () => {
    const j1 = new DisasterJournal(dir);
    let pulls = 0;
    await j1.step("pull", async () => void pulls++);
    j1.data.preexisting = { networks: [], volumes: [], containers: [], dirs: ["/srv/web"] };
    // refused here: commit() never called
    expect(existsSync(j1.file)).toBe(false);
    const j2 = new DisasterJournal(dir);
    expect(j2.resumed).toBe(false);
    await j2.step("pull", async () => void pulls++);
    expect(pulls).toBe(2);
  });

  it("Given a refused run's journal left by an older version (pull done, nothing created, not committed), Then it is discarded", () => {
    mkdirSync(join(dir, "disaster"));
    writeFileSync(
      join(dir, "disaster", "journal.json"),
      JSON.stringify({
        startedAt: "2026-01-01T00:00:00Z",
        done: ["pull"],
        created: { networks: [], volumes: [] },
        preexisting: { networks: [], volumes: [], containers: [], dirs: [] },
      }),
    );
    const j = new DisasterJournal(dir);
    expect(j.resumed).toBe(false);
    expect(j.data.done).toEqual([]);
  });

  it("Given an older version's journal that created volumes, Then it is continued (it changed the host)", () => {
    mkdirSync(join(dir, "disaster"));
    writeFileSync(
      join(dir, "disaster", "journal.json"),
      JSON.stringify({
        startedAt: "2026-01-01T00:00:00Z",
        done: ["pull", "networks", "volumes"],
        created: { networks: [], volumes: ["app_data"] },
      }),
    );
    expect(new DisasterJournal(dir).resumed).toBe(true);
  });

  it("Given a committed step whose result is gone, When resumed, Then it runs again and the redo is reported; a step whose result is there is skipped", async () => {
    const j1 = new DisasterJournal(dir);
    j1.commit();
    await j1.step("pull", async () => undefined);
    await j1.step("networks", async () => undefined);
    const j2 = new DisasterJournal(dir);
    expect(j2.resumed).toBe(true);
    const ran: string[] = [];
    const redone: string[] = [];
    await j2.step(
      "pull",
      async () => void ran.push("pull"),
      async () => false,
      (id) => redone.push(id),
    );
    await j2.step(
      "networks",
      async () => void ran.push("networks"),
      () => true,
      (id) => redone.push(id),
    );
    expect(ran).toEqual(["pull"]);
    expect(redone).toEqual(["pull"]);
    expect(new DisasterJournal(dir).data.done.sort()).toEqual(["networks", "pull"]);
  });
});

describe("disaster conflicts: every live path the recovery writes", () => {
  const manifest = {
    format: 1,
    stack: "web",
    project: "web",
    dir: "/srv/web",
    composeFiles: [],
    envFiles: [],
    host: "old",
    createdAt: "",
    strategy: "stop",
    paths: [],
    excludes: [],
    containers: [],
    tools: {},
    volumes: [{ name: "web_data", mountpoint: "/var/lib/docker/volumes/web_data/_data", driver: "local", labels: {} }],
  } as unknown as StackManifest;
  const snapshotPaths = [
    "/srv/web",
    "/etc/nginx",
    "/root/certs",
    "/var/lib/docker/volumes/web_data/_data",
    "/var/lib/backup-tui/staging/web/manifest.json",
    "/var/lib/backup-tui/staging/web/dumps",
  ];

  it("Given a stack snapshot, Then its live host paths are the stack dir, bind sources and EXTRA_PATHS: not volumes, dumps or the manifest", () => {
    expect(liveHostPaths(snapshotPaths, manifest)).toEqual(["/srv/web", "/etc/nginx", "/root/certs"]);
  });

  it("Given /etc/nginx existed on the new host, Then it is a conflict (labelled path), beside the stack directory, volumes and networks", () => {
    const inv = {
      networks: [{ name: "web_default" }],
      volumes: [{ name: "web_data" }],
      containers: [],
      stacks: [{ name: "web", dir: "/srv/web" }],
    } as never;
    const pre = {
      networks: ["web_default"],
      volumes: [],
      containers: [],
      dirs: ["/srv/web"],
      paths: ["/etc/nginx", "/srv/web"],
    };
    expect(recoveryConflicts(inv, pre, liveHostPaths(snapshotPaths, manifest))).toEqual([
      "network web_default",
      "path /etc/nginx",
      "stack directory /srv/web",
    ]);
  });

  it("Given a volume only a stack manifest names (not the inventory) that exists here, Then it is a conflict too", () => {
    const inv = { networks: [], volumes: [], containers: [], stacks: [{ name: "web", dir: "/srv/web" }] } as never;
    const pre = { networks: [], volumes: ["web_data", "unrelated"], containers: [], dirs: [] };
    expect(recoveryConflicts(inv, pre, [], ["web_data"])).toEqual(["volume web_data"]);
  });

  it("Given a missing path or an empty directory, Then it is not occupied; a file or a directory with files is", () => {
    mkdirSync(join(dir, "empty"));
    mkdirSync(join(dir, "full"));
    writeFileSync(join(dir, "full", "x"), "x");
    writeFileSync(join(dir, "file"), "x");
    expect([
      occupied(join(dir, "missing")),
      occupied(join(dir, "empty")),
      occupied(join(dir, "full")),
      occupied(join(dir, "file")),
    ]).toEqual([false, false, true, true]);
  });
});

describe("restic errors: no hint suggests init where data is expected; a password source that fails is named", () => {
  const noRepo = () =>
    new ToolError(
      "restic failed (exit 10)",
      "restic restore",
      10,
      "Fatal: repository does not exist: unable to open config file",
      "exit",
    );

  it.each(["restore", "dump", "snapshots", "check", "ls", "cat"])(
    "Given no repository during %s, Then the hint does not suggest `init`",
    (op) => {
      const err = classify(noRepo(), "/srv/repo", { op }) as AppError & { kind?: string };
      expect(err.kind).toBe("no-repository");
      expect(err.hint).not.toMatch(/init/);
      expect(err.hint).toContain("backup-tui restore PATH");
    },
  );

  it("Given restic could not resolve the password file, Then the message names the source and the path, not restic's raw text", () => {
    const raw = new ToolError(
      "restic failed (exit 1)",
      "restic snapshots",
      1,
      '{"message_type":"exit_error","code":1,"message":"Fatal: Resolving password failed: Fatal: /srv/state/password does not exist"}',
      "exit",
    );
    const err = classify(raw, "/srv/repo", {
      op: "snapshots",
      password: { kind: "file", path: "/srv/state/password", origin: "embedded default" },
    }) as AppError;
    expect(err.message).toBe(
      "restic could not read the repository password from the password file /srv/state/password (embedded default): /srv/state/password does not exist",
    );
    expect(err.message).not.toMatch(/Resolving/);
    expect(err.exitCode).toBe(78);
    expect(err.hint).toMatch(/--config FILE/);
  });

  it("Given a password command that fails, Then the message names the command's origin and never its text", () => {
    const raw = new ToolError(
      "restic failed (exit 1)",
      "restic snapshots",
      1,
      "Fatal: Resolving password failed: exit status 1",
      "exit",
    );
    const err = classify(raw, "/srv/repo", {
      password: { kind: "command", command: "pass show restic-secret", origin: "/etc/backup-tui/config.ini:7" },
    }) as AppError;
    expect(err.message).toBe(
      "restic could not read the repository password from the password command (/etc/backup-tui/config.ini:7): exit status 1",
    );
    expect(err.message).not.toContain("restic-secret");
  });

  it("Given no password source, When a repository is read, Then the hint asks for the repository's password, never a new one from init; a backup may be told init", async () => {
    const runner = {
      run: async () => ({ stdout: "[]", stderr: "", exitCode: 0, command: "restic" }),
    } as unknown as Runner;
    const restic = new Restic(runner, {
      binary: "restic",
      repository: "/srv/repo",
      password: { kind: "none" },
      workDir: dir,
    });
    const read = await restic.snapshots().catch((e: unknown) => e as AppError);
    expect((read as AppError).hint).not.toMatch(/init/);
    expect((read as AppError).hint).toContain("the repository's password");
    const backup = await restic
      .backup({ paths: ["/srv/app"], host: "h", tags: [] })
      .catch((e: unknown) => e as AppError);
    expect((backup as AppError).hint).toMatch(/backup-tui init/);
  });
});
