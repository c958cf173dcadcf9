import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, type TestWorld } from "../../helpers/env";
import { remoteEnv } from "../../helpers/servers";

// `restore --disaster` without --from tries each copy in turn. Here none comes back: the first
// holds garbage (pulled, then failing to open: moved aside, never deleted), the second is gone.
// The error names each copy and why; nothing else on the host is touched. The way through to a
// copy that does come back is test/integration/sync/attacker.test.ts.

describe("restore --disaster: every copy in turn", () => {
  let w: TestWorld;
  let bad: string;
  const env = remoteEnv("localr", "local");

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    bad = join(w.dir, "bad-copy");
    mkdirSync(join(bad, "data"), { recursive: true });
    writeFileSync(join(bad, "config"), "not a restic config\n");
    writeFileSync(join(bad, "data", "junk"), "junk\n");
    writeFileSync(
      w.configFile,
      [
        "",
        "[cloud_sync]",
        "RCLONE_REMOTE=localr",
        `RCLONE_PATH=${bad}`,
        "RETRIES=1",
        "[cloud_sync:vault]",
        "MODE=append",
        "RCLONE_REMOTE=localr",
        `RCLONE_PATH=${join(w.dir, "gone")}`,
        "",
      ].join("\n"),
      { flag: "a" },
    );
  });
  afterAll(() => w?.cleanup());

  it("names each copy that did not come back, keeps what was pulled aside, and changes nothing else", () => {
    expect(existsSync(w.repo)).toBe(false);
    const r = cli(w, ["restore", "--disaster", "--yes"], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /the copy at default \(localr:\S+bad-copy\) did not come back: .*; trying vault \(localr:\S+gone\), 2 of 2/,
    );
    expect(r.stderr).toMatch(/error: no copy came back: default: .+; vault: .+/);
    expect(r.stderr).not.toMatch(/\n\s+at \S+ \(/);
    // What the first pull wrote is kept beside the repository path, byte for byte.
    const aside = readdirSync(dirname(w.repo)).filter((n) =>
      n.startsWith(`${w.repo.split("/").pop()}.partial-default-`),
    );
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dirname(w.repo), aside[0], "config"), "utf8")).toBe("not a restic config\n");
    // The copy itself is untouched.
    expect(readFileSync(join(bad, "data", "junk"), "utf8")).toBe("junk\n");
  });

  it("with --from, only that copy is tried, and the error names the others with their commands", () => {
    const r = cli(w, ["restore", "--disaster", "--from", "vault", "--yes"], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/trying/);
    expect(r.stderr).toMatch(/Other copies: `backup-tui restore --disaster --from default` \(localr:\S+bad-copy\)/);
  });
});
