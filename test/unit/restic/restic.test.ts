import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PasswordSource } from "../../../src/config/types";
import { AppError, ConfigError, ExitCode, ToolError } from "../../../src/errors";
import { Secret } from "../../../src/exec/redact";
import { compareVersions, featuresOf, parseResticVersion } from "../../../src/restic/features";
import { BackupLine, ForgetResult, jsonLine, SnapshotList } from "../../../src/restic/json";
import { classify, parseLockHolder } from "../../../src/restic/errors";
import { Restic } from "../../../src/restic/restic";
import { fakeRunner, type RunnerAnswer } from "../../helpers/fakes";

/** Real restic output, recorded by test/fixtures/restic/record.sh. */
const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "restic");
const VERSIONS = ["0.14", "0.19"] as const;
type Version = (typeof VERSIONS)[number];

const fixture = (v: Version, name: string) => readFileSync(join(FIXTURES, v, name), "utf8");
const exitCode = (v: Version, what: string): number => {
  const line = fixture(v, "exit-codes.txt")
    .split("\n")
    .find((l) => l.startsWith(`${what} `));
  if (!line) throw new Error(`no exit code for ${what} in ${v}`);
  return Number(line.split(" ")[1]);
};
const nonEmptyLines = (text: string) => text.split("\n").filter((l) => l.trim());
/** A recorded failure as the runner reports it. */
const toolError = (v: Version, what: string) =>
  new ToolError(
    `restic failed (exit ${exitCode(v, what)})`,
    "restic snapshots --json",
    exitCode(v, what),
    fixture(v, `${what}.stderr.txt`).trimEnd(),
    "exit",
  );
/** A recorded lock refusal, held by `pid` on `host`. */
const lockStderr = (v: Version, pid: number, host: string) =>
  fixture(v, "locked-stale.stderr.txt").replace(/by PID \d+ on \S+/, `by PID ${pid} on ${host}`);
const deadPid = () => spawnSync("true").pid!;

describe.each(VERSIONS)("recorded restic %s output", (v) => {
  it("Given backup --json stdout, When each line is parsed, Then every line is known and one summary names the snapshot", () => {
    const parsed = nonEmptyLines(fixture(v, "backup.stdout.jsonl")).map((l) => BackupLine.safeParse(jsonLine(l)));

    expect(parsed.every((p) => p.success)).toBe(true);
    const summaries = parsed.flatMap((p) => (p.success && p.data.message_type === "summary" ? [p.data] : []));
    expect(summaries).toHaveLength(1);
    expect(summaries[0].snapshot_id).toMatch(/^[0-9a-f]{8,64}$/);
    expect(summaries[0].files_new).toBe(2);
    expect(summaries[0].total_files_processed).toBe(2);
  });

  it("Given the stderr of a backup with an unreadable file, When parsed, Then the error line names the file and other lines are ignored without crashing", () => {
    const lines = nonEmptyLines(fixture(v, "backup-partial.stderr.txt"));
    const parsed = lines.map((l) => BackupLine.safeParse(jsonLine(l)));

    const errors = parsed.flatMap((p) => (p.success && p.data.message_type === "error" ? [p.data] : []));
    expect(errors).toHaveLength(1);
    expect(errors[0].item).toMatch(/\/data\/locked\.txt$/);
    expect(errors[0].during).toBe("archival");
    // 0.14 prints a plain warning, 0.19 an exit_error line: neither is a BackupLine.
    expect(parsed.filter((p) => !p.success)).toHaveLength(lines.length - 1);
    expect(exitCode(v, "backup-partial")).toBe(3);
  });

  it("Given snapshots --json, When parsed, Then both snapshots come with tags, host and the parent link", () => {
    const snaps = SnapshotList.parse(JSON.parse(fixture(v, "snapshots.json")));

    expect(snaps).toHaveLength(2);
    expect(snaps.map((s) => s.tags)).toEqual([
      ["backup-tui", "stack:app", "kind:stack"],
      ["backup-tui", "stack:app", "kind:hot"],
    ]);
    expect(snaps.every((s) => s.hostname === "fixture-host")).toBe(true);
    expect(snaps[1].parent).toBe(snaps[0].id);
    expect(snaps[0].summary === undefined).toBe(v === "0.14"); // the summary appeared in 0.17
  });

  it("Given forget --json output, When parsed, Then it has one host group keeping the newest and removing the older", () => {
    const groups = ForgetResult.parse(JSON.parse(fixture(v, "forget.json")));

    expect(groups).toHaveLength(1);
    expect(groups[0].host).toBe("fixture-host");
    expect(groups[0].keep.map((s) => s.tags)).toEqual([["backup-tui", "stack:app", "kind:hot"]]);
    expect(groups[0].remove.map((s) => s.tags)).toEqual([["backup-tui", "stack:app", "kind:stack"]]);
  });

  it("Given `restic version` output, When parsed, Then the version is read", () => {
    expect(parseResticVersion(fixture(v, "version.txt"))).toBe(v === "0.14" ? "0.14.0" : "0.19.1");
  });

  it("Given a wrong-password failure, When classified, Then it is a wrong-password error with a hint", () => {
    const err = classify(toolError(v, "wrong-password"), "/srv/repo") as AppError & { kind?: string };

    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe("wrong-password");
    expect(err.message).toBe("restic could not open /srv/repo: wrong password");
    expect(err.hint).toMatch(/RESTIC_PASSWORD_FILE/);
  });

  it("Given a no-repository failure, When classified, Then it says there is no repository and how to create one", () => {
    const err = classify(toolError(v, "no-repository"), "/srv/repo", { op: "backup" }) as AppError & { kind?: string };

    expect(err.kind).toBe("no-repository");
    expect(err.message).toBe("no restic repository at /srv/repo");
    expect(err.hint).toMatch(/backup-tui init/);
  });

  it("Given a no-repository failure of a backup with a cloud copy configured, When classified, Then the hint brings it back from the cloud first; init only for a new setup", () => {
    const err = classify(toolError(v, "no-repository"), "/srv/repo", {
      op: "backup",
      cloudCopy: "cloud:backups/host1",
    }) as AppError & { kind?: string };

    expect(err.kind).toBe("no-repository");
    expect(err.hint).toContain(
      "in the cloud copy cloud:backups/host1, bring it back first with `backup-tui restore /srv/repo`",
    );
    expect(err.hint).toMatch(/^(?:(?!init).)*Only for a new setup[^.]*`backup-tui init`/);
  });

  it.each(["locked", "locked-json", "locked-stale"])(
    "Given a %s refusal, When classified, Then it is busy (75) and names the holder",
    (what) => {
      const err = classify(toolError(v, what), "/srv/repo") as AppError & { kind?: string };

      expect(err.kind).toBe("locked");
      expect(err.exitCode).toBe(ExitCode.busy);
      expect(err.message).toMatch(/^the restic repository is locked by PID \d+ on \S+$/);
      expect(err.hint).toMatch(/backup-tui unlock/);
    },
  );

  it.each(["locked", "locked-json", "locked-stale"])(
    "Given a %s refusal, When the holder is parsed, Then pid and host are those restic printed",
    (what) => {
      const text = fixture(v, `${what}.stderr.txt`);

      const holder = parseLockHolder(text);

      expect(holder).toBeDefined();
      expect(Number.isInteger(holder!.pid) && holder!.pid > 1).toBe(true);
      expect(text).toContain(`PID ${holder!.pid} on ${holder!.host} by `);
    },
  );

  it("Given the recorded exit codes, Then 0.17+ distinguishes them and 0.14 says 1 for all (so classify must read stderr)", () => {
    const codes = ["wrong-password", "no-repository", "locked"].map((w) => exitCode(v, w));

    expect(codes).toEqual(v === "0.14" ? [1, 1, 1] : [12, 10, 11]);
    expect(featuresOf(parseResticVersion(fixture(v, "version.txt"))).exitCodes).toBe(v !== "0.14");
  });
});

describe("classify and parseLockHolder", () => {
  it("Given errors that are not restic exits, When classified, Then they pass through unchanged", () => {
    const plain = new Error("boom");
    const timeout = new ToolError("restic timed out", "restic backup", 143, "", "timeout");
    const other = new ToolError("restic failed (exit 1)", "restic backup", 1, "something unexpected", "exit");

    expect(classify(plain, "/r")).toBe(plain);
    expect(classify(timeout, "/r")).toBe(timeout);
    expect(classify(other, "/r")).toBe(other);
  });

  it("Given restic's JSON error lines and a closing count, When classified, Then the message carries the errors themselves", () => {
    const tail = [
      '{"message_type":"error","error":{"message":"read /v/a: permission denied"},"during":"restore","item":"/v/a"}',
      '{"message_type":"exit_error","code":1,"message":"Fatal: There were 1 errors"}',
    ].join("\n");
    const e = classify(new ToolError("restic failed (exit 1)", "restic restore", 1, tail, "exit"), "/r") as ToolError;
    expect(e).toBeInstanceOf(ToolError);
    expect(e.message).toBe("restic failed (exit 1): /v/a: read /v/a: permission denied; Fatal: There were 1 errors");
    expect(e.stderrTail).toBe(tail);
    expect(e.message).not.toContain("message_type");
  });

  it("Given a full disk, When classified, Then it says so with a hint, naming the file restic could not write", () => {
    const tail =
      '{"message_type":"exit_error","code":1,"message":"Fatal: unable to save snapshot: write /repo/data/ab/abc: no space left on device"}';
    const e = classify(new ToolError("restic failed (exit 1)", "restic backup", 1, tail, "exit"), "/repo") as AppError;
    expect(e).toBeInstanceOf(AppError);
    expect(e.message).toBe("no space left on device writing /repo/data/ab/abc: restic stopped");
    expect(e.hint).toMatch(/Free space/);
  });

  it("Given text without a lock holder, When parsed, Then there is none", () => {
    expect(parseLockHolder("Fatal: wrong password or no key found")).toBeUndefined();
  });

  it("Given an exclusive-lock wording, When parsed, Then the holder is still read", () => {
    expect(
      parseLockHolder("repository is already locked exclusively by PID 4242 on nas by root (UID 0, GID 0)"),
    ).toEqual({ pid: 4242, host: "nas" });
  });
});

describe("jsonLine", () => {
  it("Given lines that are not JSON objects, When parsed, Then undefined, never a throw", () => {
    expect(jsonLine("Warning: at least one source file could not be read")).toBeUndefined();
    expect(jsonLine("{not json")).toBeUndefined();
    expect(jsonLine("")).toBeUndefined();
    expect(jsonLine('  {"message_type":"status"}  ')).toEqual({ message_type: "status" });
  });
});

describe("features", () => {
  it.each([
    [
      "0.14.0",
      {
        jsonRestore: false,
        retryLock: false,
        repair: false,
        restoreDelete: false,
        stdinFromCommand: false,
        exitCodes: false,
        snapshotSummary: false,
      },
    ],
    [
      "0.16.4",
      {
        jsonRestore: true,
        retryLock: true,
        repair: true,
        restoreDelete: false,
        stdinFromCommand: false,
        exitCodes: false,
        snapshotSummary: false,
      },
    ],
    [
      "0.19.1",
      {
        jsonRestore: true,
        retryLock: true,
        repair: true,
        restoreDelete: true,
        stdinFromCommand: true,
        exitCodes: true,
        snapshotSummary: true,
      },
    ],
  ])(
    "Given restic %s, When its features are derived, Then they match what that version can do",
    (version, expected) => {
      expect(featuresOf(version)).toEqual({ version, ...expected });
    },
  );

  it("Given version strings, When compared, Then the order is numeric per part", () => {
    expect(compareVersions("0.14.0", "0.16.4")).toBeLessThan(0);
    expect(compareVersions("0.19.1", "0.19.1")).toBe(0);
    expect(compareVersions("0.10.0", "0.9.9")).toBeGreaterThan(0);
    expect(compareVersions("1.0.0", "0.19.1")).toBeGreaterThan(0);
  });

  it("Given version outputs, When parsed, Then the x.y.z is read, and garbage throws", () => {
    expect(parseResticVersion("restic 0.16.4 compiled with go1.21.6 on linux/amd64")).toBe("0.16.4");
    expect(parseResticVersion("restic v0.17.0-dev (compiled manually) compiled with go1.22")).toBe("0.17.0");
    expect(() => parseResticVersion("bash: restic: command not found")).toThrow(/cannot read restic's version/);
  });
});

describe("Restic", () => {
  let workDir: string;
  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), "restic-unit-"));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(workDir, { recursive: true, force: true });
  });

  const FILE_PW: PasswordSource = { kind: "file", path: "/etc/backup-tui/restic-password", origin: "test" };
  function restic(answers: RunnerAnswer[], password: PasswordSource = FILE_PW) {
    const runner = fakeRunner(answers);
    return {
      runner,
      restic: new Restic(runner, { binary: "restic", repository: "/srv/restic-repo", password, workDir }),
    };
  }
  const backupReq = {
    paths: ["/srv/stacks/app", "/var/lib/docker/volumes/app_db/_data"],
    host: "test-host",
    tags: ["backup-tui", "stack:app", "kind:stack"],
  };

  it("Given a password file, When restic runs, Then repository and password file reach it via env, never argv, and an inherited RESTIC_PASSWORD is cleared", async () => {
    vi.stubEnv("RESTIC_PASSWORD", "inherited-password");
    const { runner, restic: r } = restic([{ match: "restic snapshots", stdout: "[]\n" }]);

    await r.snapshots();

    const { args, options } = runner.calls[0];
    expect(options.env).toMatchObject({
      RESTIC_REPOSITORY: "/srv/restic-repo",
      RESTIC_PASSWORD_FILE: "/etc/backup-tui/restic-password",
    });
    expect(Object.hasOwn(options.env!, "RESTIC_PASSWORD")).toBe(true);
    expect(options.env!.RESTIC_PASSWORD).toBeUndefined();
    expect(options.env!.RESTIC_PASSWORD_COMMAND).toBeUndefined();
    const argv = args.join(" ");
    expect(argv).not.toContain("/srv/restic-repo");
    expect(argv).not.toContain("restic-password");
    expect(args).not.toContain("-r");
    expect(args).not.toContain("--repo");
  });

  it("Given a password value, When restic runs, Then it is in RESTIC_PASSWORD and registered as a secret, not in argv", async () => {
    const { runner, restic: r } = restic([{ match: "restic snapshots", stdout: "[]" }], {
      kind: "value",
      value: new Secret("hunter2-long"),
      origin: "test",
    });

    await r.snapshots();

    const { args, options } = runner.calls[0];
    expect(options.env!.RESTIC_PASSWORD).toBe("hunter2-long");
    expect(options.env!.RESTIC_PASSWORD_FILE).toBeUndefined();
    expect(options.secrets).toContain("hunter2-long");
    expect(args.join(" ")).not.toContain("hunter2");
  });

  it("Given no password source, When restic would run, Then it refuses with a config error and runs nothing", async () => {
    const { runner, restic: r } = restic([], { kind: "none" });

    await expect(r.snapshots()).rejects.toBeInstanceOf(ConfigError);
    expect(runner.calls).toEqual([]);
  });

  it("Given a backup request, When run, Then it passes --files-from-verbatim (the paths, one a line), --host, --parent, tags and excludes, and removes the list", async () => {
    let listFile = "";
    let listed = "";
    const { runner, restic: r } = restic([
      {
        match: "restic backup",
        stdout: fixture("0.19", "backup.stdout.jsonl"),
        reply: (_f, args) => {
          listFile = args[args.indexOf("--files-from-verbatim") + 1];
          listed = readFileSync(listFile, "utf8");
        },
      },
    ]);

    const res = await r.backup({ ...backupReq, parent: "abc123", excludes: ["*.tmp"], compression: "max" });

    const args = runner.calls[0].args;
    expect(args.slice(0, 4)).toEqual(["backup", "--json", "--host", "test-host"]);
    expect(listed).toBe("/srv/stacks/app\n/var/lib/docker/volumes/app_db/_data\n");
    expect(existsSync(listFile)).toBe(false);
    expect(args.join(" ")).toContain("--tag backup-tui --tag stack:app --tag kind:stack");
    expect(args.join(" ")).toContain("--parent abc123");
    expect(args.join(" ")).toContain("--exclude *.tmp");
    expect(args.join(" ")).toContain("--compression max");
    expect(args).not.toContain("/srv/stacks/app");
    expect(runner.calls[0].options.okExitCodes).toEqual([0, 3]);
    expect(res.partial).toBe(false);
    expect(res.snapshotId).toBe(JSON.parse(nonEmptyLines(fixture("0.19", "backup.stdout.jsonl")).at(-1)!).snapshot_id);
  });

  it("Given no parent, When backing up, Then no --parent flag is passed", async () => {
    const { runner, restic: r } = restic([{ match: "restic backup", stdout: fixture("0.19", "backup.stdout.jsonl") }]);

    await r.backup(backupReq);

    expect(runner.calls[0].args).not.toContain("--parent");
  });

  it.each(VERSIONS)(
    "Given restic %s exits 3 with an unreadable file, When backing up, Then the result is partial and lists it",
    async (v) => {
      const { restic: r } = restic([
        {
          match: "restic backup",
          stdout: fixture(v, "backup-partial.stdout.jsonl"),
          stderr: fixture(v, "backup-partial.stderr.txt"),
          exitCode: 3,
        },
      ]);

      const res = await r.backup(backupReq);

      expect(res.partial).toBe(true);
      expect(res.snapshotId).toBeTruthy();
      expect(res.unreadable).toHaveLength(1);
      expect(res.unreadable[0].item).toMatch(/\/data\/locked\.txt$/);
      expect(res.unreadable[0].message).toContain("locked.txt");
    },
  );

  // Regression: restic 0.14 reports {Op, Path, Err} without a message; it is rendered readably.
  it("Given restic 0.14's errno-only error object, When reported, Then the message says permission denied", async () => {
    const { restic: r } = restic([
      {
        match: "restic backup",
        stdout: fixture("0.14", "backup-partial.stdout.jsonl"),
        stderr: fixture("0.14", "backup-partial.stderr.txt"),
        exitCode: 3,
      },
    ]);

    const res = await r.backup(backupReq);

    expect(res.unreadable[0].message).toMatch(/permission denied/i);
  });

  it("Given status lines, When backing up, Then progress is reported from them", async () => {
    const progress: number[] = [];
    const { restic: r } = restic([{ match: "restic backup", stdout: fixture("0.14", "backup.stdout.jsonl") }]);

    await r.backup({ ...backupReq, onProgress: (p) => progress.push(p.totalFiles) });

    expect(progress).toEqual([1]);
  });

  it("Given restic exits 0 without a summary, When backing up, Then it fails saying no snapshot was reported", async () => {
    const { restic: r } = restic([{ match: "restic backup", stdout: '{"message_type":"status","percent_done":1}\n' }]);

    await expect(r.backup(backupReq)).rejects.toThrow(/without reporting a snapshot/);
  });

  it("Given a failing backup (exit 1), When backing up, Then a ToolError carries restic's stderr", async () => {
    const { restic: r } = restic([
      { match: "restic backup", exitCode: 1, stderr: "Fatal: unable to save snapshot: no space left on device\n" },
    ]);

    const err = await r.backup(backupReq).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(AppError);
    expect(((err as AppError).cause as ToolError).stderrTail).toContain("no space left on device");
  });

  it.each(VERSIONS)(
    "Given restic %s's snapshots and forget output, When listed and forgotten, Then they parse",
    async (v) => {
      const { runner, restic: r } = restic([
        { match: "restic snapshots", stdout: fixture(v, "snapshots.json") },
        { match: "restic forget", stdout: fixture(v, "forget.json") },
      ]);

      const snaps = await r.snapshots({ tags: ["backup-tui", "stack:app"], host: "fixture-host" });
      const groups = await r.forget({
        tags: ["backup-tui", "stack:app", "kind:stack"],
        groupBy: "host",
        keep: { last: 1, daily: 7, within: "2d" },
        keepTags: ["protected"],
        dryRun: true,
      });

      expect(snaps).toHaveLength(2);
      expect(groups[0].remove).toHaveLength(1);
      expect(runner.calls[0].args).toEqual([
        "snapshots",
        "--json",
        "--no-lock",
        "--tag",
        "backup-tui,stack:app",
        "--host",
        "fixture-host",
        "--",
      ]);
      expect(runner.calls[1].args).toEqual([
        "forget",
        "--json",
        "-q",
        "--tag",
        "backup-tui,stack:app,kind:stack",
        "--group-by",
        "host",
        "--keep-last",
        "1",
        "--keep-daily",
        "7",
        "--keep-within",
        "2d",
        "--keep-tag",
        "protected",
        "--dry-run",
        "--",
      ]);
    },
  );

  it("Given snapshot ids, When forgotten, Then they are the trailing arguments of one call", async () => {
    const { runner, restic: r } = restic([{ match: "restic forget", stdout: "" }]);

    const groups = await r.forget({ ids: ["aaa", "bbb"] });

    expect(groups).toEqual([]);
    expect(runner.commands()).toEqual(["restic forget --json -q -- aaa bbb"]);
  });

  // Commands that take a repository lock (tag here; listings run with --no-lock).
  // Regression: the unlock-and-retry must see the raw ToolError (classify only what finally fails).
  it("Given a lock held by a dead process on this host, When a command is refused, Then restic unlock runs once and the command is retried", async () => {
    const { runner, restic: r } = restic([
      { match: "restic tag", exitCode: 11, stderr: lockStderr("0.19", deadPid(), hostname()), times: 1 },
      { match: "restic unlock", times: 1 },
      { match: "restic tag" },
    ]);

    await r.tag(["aaa"], { add: ["protected"] });

    expect(runner.commands()).toEqual([
      "restic tag --add protected -- aaa",
      "restic unlock",
      "restic tag --add protected -- aaa",
    ]);
  });

  // Regression: the same with restic 0.14's exit code 1.
  it("Given restic 0.14 (exit 1) refusing with a dead holder's lock, When run, Then it unlocks and retries too", async () => {
    const { runner, restic: r } = restic([
      { match: "restic tag", exitCode: 1, stderr: lockStderr("0.14", deadPid(), hostname()), times: 1 },
      { match: "restic unlock", times: 1 },
      { match: "restic tag" },
    ]);

    await r.tag(["aaa"], { add: ["protected"] });

    expect(runner.commands().filter((c) => c === "restic unlock")).toHaveLength(1);
  });

  it("Given a lock held by a live process, When refused, Then no unlock runs and it fails busy naming the holder", async () => {
    const { runner, restic: r } = restic([
      { match: "restic tag", exitCode: 11, stderr: lockStderr("0.19", process.pid, hostname()) },
    ]);

    const err = (await r.tag(["aaa"], { add: ["protected"] }).then(
      () => undefined,
      (e: unknown) => e,
    )) as AppError & { kind?: string };

    expect(err.kind).toBe("locked");
    expect(err.exitCode).toBe(ExitCode.busy);
    expect(err.message).toContain(`PID ${process.pid}`);
    expect(runner.commands()).toEqual(["restic tag --add protected -- aaa"]);
  });

  it("Given a lock held on another host, When refused, Then it is not unlocked from here", async () => {
    const { runner, restic: r } = restic([
      { match: "restic tag", exitCode: 11, stderr: lockStderr("0.19", deadPid(), "some-other-host") },
    ]);

    await expect(r.tag(["aaa"], { add: ["protected"] })).rejects.toMatchObject({ kind: "locked" });
    expect(runner.commands()).toEqual(["restic tag --add protected -- aaa"]);
  });

  // Regression: one unlock, one retry, then give up.
  it("Given the retry is refused again, When run, Then it gives up after one unlock", async () => {
    const stderr = lockStderr("0.19", deadPid(), hostname());
    const { runner, restic: r } = restic([{ match: "restic tag", exitCode: 11, stderr }, { match: "restic unlock" }]);

    await expect(r.tag(["aaa"], { add: ["protected"] })).rejects.toMatchObject({ kind: "locked" });
    expect(runner.commands()).toEqual([
      "restic tag --add protected -- aaa",
      "restic unlock",
      "restic tag --add protected -- aaa",
    ]);
  });

  it("Given `restic version` answers, When features are asked twice, Then restic runs once and the features fit the version", async () => {
    const { runner, restic: r } = restic([
      { match: "restic version", stdout: "restic 0.16.4 compiled with go1.21.6 on linux/amd64\n" },
    ]);

    const f = await r.features();
    await r.features();

    expect(f).toMatchObject({ version: "0.16.4", retryLock: true, exitCodes: false });
    expect(runner.calls).toHaveLength(1);
  });

  it("Given a restic older than 0.14, When features are asked, Then it refuses with a hint", async () => {
    const { restic: r } = restic([
      { match: "restic version", stdout: "restic 0.13.1 compiled with go1.18 on linux/amd64\n" },
    ]);

    await expect(r.features()).rejects.toThrow("restic 0.13.1 is too old; backup-tui needs 0.14.0 or newer");
  });

  it.each(VERSIONS)(
    "Given no repository (restic %s), When init runs, Then it creates one; Given one, Then it leaves it",
    async (v) => {
      const missing = restic([
        {
          match: "restic cat -- config",
          exitCode: exitCode(v, "no-repository"),
          stderr: fixture(v, "no-repository.stderr.txt"),
        },
        { match: "restic init" },
      ]);
      const present = restic([{ match: "restic cat -- config", stdout: "{}" }]);

      expect(await missing.restic.init()).toBe("created");
      expect(await present.restic.init()).toBe("exists");
      expect(missing.runner.commands()).toEqual(["restic cat -- config", "restic init"]);
      expect(present.runner.commands()).toEqual(["restic cat -- config"]);
    },
  );

  it.each(VERSIONS)(
    "Given a wrong password (restic %s), When checking the repository exists, Then it throws instead of claiming there is none",
    async (v) => {
      const { restic: r } = restic([
        {
          match: "restic cat -- config",
          exitCode: exitCode(v, "wrong-password"),
          stderr: fixture(v, "wrong-password.stderr.txt"),
        },
      ]);

      await expect(r.exists()).rejects.toMatchObject({ kind: "wrong-password" });
    },
  );

  it("Given restic check finds damage (exit 1), When checked, Then ok is false with restic's output", async () => {
    const { restic: r } = restic([
      {
        match: "restic check",
        exitCode: 1,
        stderr: "error: pack 1234: not referenced in any index\nFatal: repository contains errors\n",
      },
    ]);

    const res = await r.check({ readDataSubset: "5%" });

    expect(res.ok).toBe(false);
    expect(res.output).toContain("repository contains errors");
  });
});

describe("Restic copy and init from another repository", () => {
  const workDir = tmpdir();
  const TARGET_PW: PasswordSource = { kind: "command", command: "pass show target", origin: "test" };
  const LOCAL_PW: PasswordSource = { kind: "value", value: new Secret("local-secret-99"), origin: "test" };
  const pair = (answers: RunnerAnswer[]) => {
    const runner = fakeRunner(answers);
    const local = new Restic(runner, { binary: "restic", repository: "/srv/restic-repo", password: LOCAL_PW, workDir });
    const target = new Restic(runner, {
      binary: "restic",
      repository: "rest:http://u:p@host/r",
      password: TARGET_PW,
      workDir,
    });
    return { runner, local, target };
  };

  it("Given a copy of two snapshots, When run, Then the source is in RESTIC_FROM_* (password value as a secret), the ids after --, and the saved copies are returned", async () => {
    vi.stubEnv("RESTIC_FROM_PASSWORD_FILE", "/inherited");
    const { runner, local, target } = pair([
      {
        match: "restic copy",
        stdout:
          "snapshot 11111111 saved, copied from source snapshot aaaaaaaa\nsnapshot 22222222 saved, copied from source snapshot bbbbbbbb\n",
      },
    ]);
    const lines: string[] = [];

    const r = await target.copyFrom(local, { ids: ["aaaaaaaa", "bbbbbbbb"], onLine: (l) => lines.push(l.kind) });

    expect(r.copied).toEqual([
      { source: "aaaaaaaa", copy: "11111111" },
      { source: "bbbbbbbb", copy: "22222222" },
    ]);
    expect(lines).toEqual(["copied", "copied"]);
    const { args, options } = runner.calls[0];
    expect(args).toEqual(["copy", "--", "aaaaaaaa", "bbbbbbbb"]);
    expect(options.env).toMatchObject({
      RESTIC_REPOSITORY: "rest:http://u:p@host/r",
      RESTIC_PASSWORD_COMMAND: "pass show target",
      RESTIC_FROM_REPOSITORY: "/srv/restic-repo",
      RESTIC_FROM_PASSWORD: "local-secret-99",
    });
    expect(options.env!.RESTIC_PASSWORD).toBeUndefined();
    expect(options.env!.RESTIC_FROM_PASSWORD_FILE).toBeUndefined();
    expect(options.secrets).toContain("local-secret-99");
    expect(args.join(" ")).not.toContain("secret");
  });

  it("Given initFrom, When run, Then it is init --copy-chunker-params with the source in the environment", async () => {
    const { runner, local, target } = pair([{ match: "restic init", stdout: "created restic repository\n" }]);

    await target.initFrom(local);

    expect(runner.calls[0].args).toEqual(["init", "--copy-chunker-params"]);
    expect(runner.calls[0].options.env!.RESTIC_FROM_REPOSITORY).toBe("/srv/restic-repo");
  });

  it("Given a plain command, When run, Then no RESTIC_FROM_* variable reaches restic (inherited ones are cleared)", async () => {
    vi.stubEnv("RESTIC_FROM_REPOSITORY", "/somewhere");
    const { runner, local } = pair([{ match: "restic snapshots", stdout: "[]" }]);

    await local.snapshots();

    const env = runner.calls[0].options.env!;
    expect(Object.hasOwn(env, "RESTIC_FROM_REPOSITORY")).toBe(true);
    expect(env.RESTIC_FROM_REPOSITORY).toBeUndefined();
  });

  it("Given cat config exiting 10, When probed, Then missing; exiting 12 (wrong password), Then it throws", async () => {
    const { local } = pair([
      { match: "restic version", stdout: "restic 0.19.1 compiled with go1.26 on linux/amd64\n" },
      {
        match: "restic cat",
        exitCode: 10,
        stderr: "Fatal: repository does not exist: unable to open config file\n",
        times: 1,
      },
      { match: "restic cat", exitCode: 12, stderr: "Fatal: wrong password or no key found\n" },
    ]);

    expect(await local.probe()).toBe("missing");
    await expect(local.probe()).rejects.toMatchObject({ kind: "wrong-password" });
  });

  it("Given cat config failing with exit 1 and a config-file message (a flaky server), When probed on 0.17+, Then it throws rather than say missing", async () => {
    const { local } = pair([
      { match: "restic version", stdout: "restic 0.19.1 compiled with go1.26 on linux/amd64\n" },
      {
        match: "restic cat",
        exitCode: 1,
        stderr: "Fatal: unable to open config file: Head: 503 Service Unavailable\n",
      },
    ]);

    await expect(local.probe()).rejects.toBeInstanceOf(AppError);
  });
});
