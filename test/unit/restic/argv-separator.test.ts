import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rclone } from "../../../src/rclone/rclone";
import { Restic } from "../../../src/restic/restic";
import { fakeRunner } from "../../helpers/fakes";

// Issue 17 item 4: every positional restic and rclone get (snapshot IDs, paths, remotes) comes
// after `--`, so a value starting with "-" (from a manifest, an inventory, a crafted snapshot)
// is never parsed as an option. restic 0.14 and 0.19 both accept `--` for these subcommands
// (test/integration/argv-separator.test.ts runs them for real).

const EVIL = "--password-command=touch /tmp/pwned";
const workDir = mkdtempSync(join(tmpdir(), "argv-sep-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The argv after the subcommand's options: everything from `--` on. */
function assertAfterSeparator(args: string[], ...values: string[]): void {
  const sep = args.indexOf("--");
  expect(sep, `no -- in ${args.join(" ")}`).toBeGreaterThan(0);
  for (const v of values) {
    expect(args.indexOf(v), `${v} in ${args.join(" ")}`).toBeGreaterThan(sep);
  }
  // Nothing after `--` is an option we meant.
  expect(args.slice(sep + 1).filter((a) => a.startsWith("-") && !values.includes(a))).toEqual([]);
}

describe("restic: options, then --, then positionals", () => {
  const make = () => {
    const runner = fakeRunner([
      { match: "restic version", stdout: "restic 0.19.1 compiled with go1.26 on linux/amd64\n" },
      { match: "restic snapshots", stdout: "[]" },
      { match: "restic forget", stdout: "" },
      { match: "restic stats", stdout: '{"total_size":1}' },
      { match: /^restic (dump|ls|tag|restore|cat)/, stdout: "" },
    ]);
    return {
      runner,
      restic: new Restic(runner, {
        binary: "restic",
        repository: "/srv/repo",
        password: { kind: "file", path: "/pw", origin: "test" },
        workDir,
      }),
    };
  };
  const last = (runner: ReturnType<typeof make>["runner"]) => runner.calls[runner.calls.length - 1].args;

  it.each([
    ["dump", (r: Restic) => r.dump(EVIL, EVIL)],
    ["dumpToFile", (r: Restic) => r.dumpToFile(EVIL, EVIL, join(workDir, "out"))],
    ["ls", (r: Restic) => r.ls(EVIL, () => undefined, { path: EVIL })],
    ["snapshots", (r: Restic) => r.snapshots({ ids: [EVIL] })],
    ["forget", (r: Restic) => r.forget({ ids: [EVIL] })],
    ["tag", (r: Restic) => r.tag([EVIL], { add: ["protected"] })],
    ["stats", (r: Restic) => r.stats({ ids: [EVIL] })],
    ["restore", (r: Restic) => r.restore({ snapshot: EVIL, target: "/tmp/t", include: ["/srv/x"], verify: true })],
  ])("Given a value starting with - passed to %s, When restic runs, Then it comes after --", async (_name, call) => {
    const { runner, restic } = make();

    await call(restic);

    assertAfterSeparator(last(runner), EVIL);
  });

  it("Given restore, When run, Then --target/--include/--verify stay options before -- and the snapshot is the only positional", async () => {
    const { runner, restic } = make();

    await restic.restore({ snapshot: "abcd1234", target: "/tmp/t", include: ["/srv/x"], verify: true });

    expect(last(runner)).toEqual([
      "restore",
      "--target",
      "/tmp/t",
      "--verify",
      "--include",
      "/srv/x",
      "--",
      "abcd1234",
    ]);
  });

  it("Given a lock id, When the lock is read, Then --no-lock is an option and the type and id come after --", async () => {
    const runner = fakeRunner([
      { match: "restic list locks", stdout: `${"a".repeat(64)}\n` },
      { match: "restic cat", stdout: '{"time":"2026-01-01T00:00:00Z","hostname":"h","pid":1}' },
    ]);
    const r = new Restic(runner, {
      binary: "restic",
      repository: "/srv/repo",
      password: { kind: "file", path: "/pw", origin: "test" },
      workDir,
    });

    await r.locks();

    expect(runner.calls[1].args).toEqual(["cat", "--no-lock", "--", "lock", "a".repeat(64)]);
  });
});

describe("rclone: options, then --, then paths", () => {
  const make = () => {
    const runner = fakeRunner([{ match: () => true, stdout: "" }]);
    return { runner, rclone: new Rclone(runner, { binary: "rclone", configFile: "/etc/rclone.conf" }) };
  };

  it.each([
    [
      "sync",
      (r: Rclone) => r.sync(EVIL, `${EVIL}2`, { transfers: 2, immutable: true, backupDir: "remote:old" }),
      [EVIL, `${EVIL}2`],
    ],
    ["copy", (r: Rclone) => r.copy(EVIL, `${EVIL}2`), [EVIL, `${EVIL}2`]],
    ["check", (r: Rclone) => r.check(EVIL, `${EVIL}2`), [EVIL, `${EVIL}2`]],
    ["lsf", (r: Rclone) => r.lsf(EVIL, { dirsOnly: true }), [EVIL]],
    ["cat", (r: Rclone) => r.cat(EVIL), [EVIL]],
    ["isFile", (r: Rclone) => r.isFile(EVIL), [EVIL]],
    ["purge", (r: Rclone) => r.purge(EVIL), [EVIL]],
  ] as const)(
    "Given a path starting with - passed to %s, When rclone runs, Then it comes after -- and --config stays first",
    async (_name, call, values) => {
      const { runner, rclone } = make();

      await call(rclone);

      for (const c of runner.calls) {
        expect(c.args.slice(0, 2)).toEqual(["--config", "/etc/rclone.conf"]);
        assertAfterSeparator(c.args, ...values.filter((v) => c.args.includes(v)));
      }
      expect(runner.calls[0].args).toEqual(expect.arrayContaining([...values]));
    },
  );
});
