import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";

// Output larger than a pipe's buffer must all arrive when stdout is a pipe: the process waits
// for it to drain before it exits (it was cut at 64 KiB multiples).
describe("large output into a pipe", () => {
  let w: TestWorld;
  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    expect(cli(w, ["snapshots", "--refresh"]).code).toBe(0); // creates the state database
    const db = new DatabaseSync(join(w.stateDir, "state.db"));
    const ins = db.prepare(
      "INSERT INTO snapshots (id, short_id, time, host, stack, kind, tags, paths, protected, indexed) VALUES (?, ?, ?, 'h', ?, 'stack', ?, '[\"/srv/some/long/path\"]', 0, 0)",
    );
    db.exec("BEGIN");
    for (let i = 0; i < 3000; i++) {
      const id = i.toString(16).padStart(8, "0").repeat(8);
      ins.run(
        id,
        id.slice(0, 8),
        new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        `s${i % 5}`,
        JSON.stringify(["backup-tui", `stack:s${i % 5}`, "kind:stack"]),
      );
    }
    db.exec("COMMIT");
    db.close();
  });
  afterAll(() => w?.cleanup());

  it("a megabyte of --json through `| wc -c` is as long as the same output into a file", () => {
    const file = join(w.dir, "out.json");
    const env = { ...w.env };
    execFileSync("sh", ["-c", `"${BIN}" --json snapshots --all > "${file}"`], { env });
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(500_000);
    for (let i = 0; i < 3; i++) {
      const piped = Number(
        execFileSync("sh", ["-c", `"${BIN}" --json snapshots --all | wc -c`], { env, encoding: "utf8" }).trim(),
      );
      expect(piped).toBe(size);
    }
  });
});
