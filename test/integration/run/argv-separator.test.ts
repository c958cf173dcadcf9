import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../../src/exec/redact";
import { ProcessRunner } from "../../../src/exec/runner";
import { Restic } from "../../../src/restic/restic";
import { cli, ensureBinary, makeWorld, restic, RESTIC_014, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, containerStates, writeStack } from "../../helpers/stacks";

// Issue 17 item 4: a value read from a snapshot's manifest that starts with "-" must never
// become a restic option. `restic dump ID "--password-command=touch FILE"` (no `--`) runs the
// command before it fails, with restic 0.14 and 0.19 alike when the password comes from a
// command. A forged stack snapshot names such a dump file: the restore refuses the manifest,
// restic never sees the value, nothing runs; and restic itself always gets `--` before its
// positionals, so even a value that got through stays a path.

const SEP = "\u001f";

describe.each([
  ["0.19", "restic"],
  ["0.14", RESTIC_014],
])("restic %s: manifest values never become options", (version, real) => {
  let w: TestWorld;
  let dir: string;
  let argvLog: string;
  let snapId: string;
  const stack = `argv${version.replace(".", "")}`;
  const pwned = `/tmp/btui-pwned-${process.pid}-${version}`;
  const calls = () =>
    readFileSync(argvLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(SEP).slice(0, -1));

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    argvLog = join(w.dir, "restic-argv.log");
    // restic as backup-tui runs it, each argv recorded first.
    const wrapper = join(w.dir, "restic-logged");
    writeFileSync(
      wrapper,
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\037' "$a"; done >> ${argvLog}\nprintf '\\n' >> ${argvLog}\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    // The password from a command: then restic takes an injected --password-command over it.
    const config = readFileSync(w.configFile, "utf8").replace(
      /^RESTIC_PASSWORD_FILE=.*$/m,
      `RESTIC_PASSWORD_COMMAND=cat ${w.passwordFile}\nRESTIC_BINARY=${wrapper}`,
    );
    writeFileSync(w.configFile, config, { mode: 0o600 });
    restic(w, ["init", "-q"], real);

    dir = writeStack(w.stacksDir, stack, { db: { labels: { "backup-tui.dump": "postgres" } } });
    composeUp(dir);

    // A stack snapshot whose manifest names a dump file that is an option.
    const staging = join(w.dir, "forged", "staging", stack);
    mkdirSync(staging, { recursive: true });
    const manifest = {
      format: 1,
      stack,
      project: stack,
      composeFiles: [],
      envFiles: [],
      host: hostname(),
      createdAt: new Date().toISOString(),
      strategy: "none",
      paths: [],
      excludes: [],
      volumes: [],
      containers: [],
      tools: {},
      dumps: [
        {
          service: "db",
          container: `${stack}-db-1`,
          engine: "postgres",
          image: "x",
          file: `--password-command=touch ${pwned}`,
          bytes: 1,
          sha256: "0".repeat(64),
          ms: 1,
        },
      ],
    };
    writeFileSync(join(staging, "manifest.json"), JSON.stringify(manifest));
    restic(
      w,
      [
        "backup",
        "-q",
        "--tag",
        "backup-tui",
        "--tag",
        `stack:${stack}`,
        "--tag",
        "kind:stack",
        join(staging, "manifest.json"),
      ],
      real,
    );
    snapId = JSON.parse(restic(w, ["snapshots", "--json"], real))[0].id;
  }, 120_000);

  afterAll(() => {
    composeDown(dir);
    rmSync(pwned, { force: true });
    w?.cleanup();
  });

  it("Given a manifest whose dump file is `--password-command=touch FILE`, When `restore --dump` runs, Then it is refused naming the value, the command never runs, the database container keeps running and no snapshot is added", () => {
    const before = restic(w, ["snapshots", "--json"], real);

    const r = cli(w, ["restore", "--stack", stack, "--dump", "db", "--snapshot", snapId, "--yes"]);

    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("manifest.json names unsafe paths");
    expect(r.stderr).toContain(`dumps[0].file "--password-command=touch ${pwned}": it is not absolute`);
    expect(r.stderr).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(existsSync(pwned)).toBe(false);
    expect(containerStates(stack)).toEqual({ [`${stack}-db-1`]: "running" });
    expect(restic(w, ["snapshots", "--json"], real)).toBe(before);
    // restic saw the manifest's path after `--`, and the injected value never.
    const all = calls();
    const dump = all.filter((a) => a[0] === "dump");
    expect(dump.length).toBeGreaterThan(0);
    for (const a of dump) expect(a.slice(0, 2)).toEqual(["dump", "--"]);
    expect(all.flat().some((a) => a.includes("password-command"))).toBe(false);
    for (const a of all.filter((x) => x[0] === "snapshots")) expect(a).toContain("--");
  });

  it("Given such a value handed to restic itself, When dumped, Then restic gets it after `--` as a path: it fails with not found and the command never runs", async () => {
    const r = new Restic(new ProcessRunner(), {
      binary: real,
      repository: w.repo,
      password: { kind: "command", command: `cat ${w.passwordFile}`, origin: "test" },
      workDir: join(w.dir, "work"),
    });

    const err = await r.dump(snapId, `--password-command=touch ${pwned}`).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(String((err as Error)?.message)).toMatch(/not found/);
    expect(existsSync(pwned)).toBe(false);
    // The same through a password value (restic then also takes the flag over it).
    const byValue = new Restic(new ProcessRunner(), {
      binary: real,
      repository: w.repo,
      password: { kind: "value", value: new Secret("test-password-1234"), origin: "test" },
      workDir: join(w.dir, "work"),
    });
    await expect(byValue.dumpToFile(snapId, `--password-command=touch ${pwned}`, join(w.dir, "out"))).rejects.toThrow(
      /not found/,
    );
    expect(existsSync(pwned)).toBe(false);
  });
});
