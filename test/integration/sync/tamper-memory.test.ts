import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateStore } from "../../../src/state/store";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";

// The tamper alarm's memory with the real binary and restic: `delete` remembers the full ids it
// forgot (after restic did), and `status` (text and --json) shows a target's alarm, exiting 1,
// until it is acknowledged.

describe("tamper alarm: forgotten ids and status", () => {
  let w: TestWorld;
  const state = () => StateStore.open(join(w.stateDir, "state.db"));

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    const data = join(w.dir, "data");
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, "f"), "x");
    for (let i = 0; i < 2; i++)
      restic(w, ["backup", "-q", "--host", "test-host", "--tag", "backup-tui,stack:web,kind:stack", data]);
  });
  afterAll(() => w?.cleanup());

  it("Given two snapshots, When one is deleted, Then its full id is remembered as forgotten here, the other not", () => {
    const ids = (JSON.parse(restic(w, ["snapshots", "--json", "--no-lock"])) as Array<{ id: string }>).map((s) => s.id);
    expect(ids).toHaveLength(2);
    const del = cli(w, ["delete", ids[0].slice(0, 8), "--yes"]);
    expect(del.code, del.stderr).toBe(0);
    const s = state();
    try {
      expect(s.targets.forgotten()).toEqual(new Set([ids[0]]));
    } finally {
      s.close();
    }
  });

  it("Given a target's alarm, When status runs, Then text and --json show it with the command that acknowledges it, exit 1; acknowledged, exit 0", () => {
    const s = state();
    s.targets.raise("offsite", {
      at: "2026-12-01T03:00:00.000Z",
      message: "the copy at offsite lost 2 snapshots you did not forget (aaaaaaaa, bbbbbbbb)",
      missing: ["a".repeat(64), "b".repeat(64)],
      detail: { mode: "mirror" },
    });
    s.close();

    const text = cli(w, ["status"]);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(
      /TAMPER ALARM: the copy at offsite lost 2 snapshots you did not forget \(aaaaaaaa, bbbbbbbb\) \(found .+\); syncs to offsite stop until you check that copy and run `backup-tui sync --to offsite --accept-loss`/,
    );
    const json = cli(w, ["status", "--json"]);
    expect(json.code).toBe(1);
    const alarms = JSON.parse(json.stdout).alarms;
    expect(alarms).toEqual([
      {
        target: "offsite",
        raisedAt: "2026-12-01T03:00:00.000Z",
        updatedAt: "2026-12-01T03:00:00.000Z",
        message: "the copy at offsite lost 2 snapshots you did not forget (aaaaaaaa, bbbbbbbb)",
        missingCount: 2,
        missing: ["a".repeat(64), "b".repeat(64)],
        detail: { mode: "mirror" },
        acknowledge: expect.stringMatching(/^backup-tui .*sync --to offsite --accept-loss$/),
      },
    ]);

    const again = state();
    again.targets.acknowledge("offsite", { at: "2026-12-01T04:00:00.000Z", by: "test" });
    again.close();
    const after = cli(w, ["status", "--json"]);
    expect(after.code, after.stdout).toBe(0);
    expect(JSON.parse(after.stdout).alarms).toEqual([]);
    expect(cli(w, ["status"]).stdout).not.toContain("TAMPER");
  });
});
