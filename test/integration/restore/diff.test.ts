import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// `backup-tui diff` on real snapshots of a real stack: known changes between two backups (added,
// removed, changed, a file that became a directory), the default (a snapshot against the one
// before it), and a snapshot against the live data.

interface Item {
  path: string;
  type: string;
  size?: number;
  was?: { type: string; size?: number };
}
interface Report {
  from: { id: string };
  to: { id: string } | "live";
  sections: Array<{
    root: string;
    volume?: string;
    diff: { added: Item[]; removed: Item[]; changed: Item[]; bytes: number };
  }>;
  totals: { added: number; removed: number; changed: number; bytes: number };
}

describe("diff: what changed between snapshots, or since one", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  let first: string;
  let second: string;
  const ids = () =>
    (JSON.parse(restic(w, ["snapshots", "--json", "--tag", "kind:stack"])) as Array<{ id: string; time: string }>)
      .sort((a, b) => a.time.localeCompare(b.time))
      .map((s) => s.id);
  const diff = (args: string[]) => {
    const r = cli(w, ["diff", ...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Report;
  };
  const names = (items: Item[]) => items.map((i) => i.path.slice(mp.length));

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "notes", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
    mp = volumeMountpoint("notes_data");
    writeFileSync(join(mp, "keep.txt"), "unchanged\n");
    writeFileSync(join(mp, "grow.txt"), "short\n");
    writeFileSync(join(mp, "gone.txt"), "to be removed\n");
    writeFileSync(join(mp, "conf"), "a file, later a directory\n");
    expect(cli(w, ["backup", "notes"]).code).toBe(0);
    writeFileSync(join(mp, "grow.txt"), "much longer than before\n");
    rmSync(join(mp, "gone.txt"));
    rmSync(join(mp, "conf"));
    mkdirSync(join(mp, "conf"));
    writeFileSync(join(mp, "conf", "main.yml"), "k: v\n");
    writeFileSync(join(mp, "new.bin"), Buffer.alloc(4096, 1));
    writeFileSync(join(dir, "extra.env"), "X=1\n");
    expect(cli(w, ["backup", "notes"]).code).toBe(0);
    [first, second] = ids();
  }, 180_000);
  afterAll(() => {
    if (dir) composeDown(dir);
    w?.cleanup();
  });

  it("between two snapshots: exactly the known changes, per volume and the stack directory, with sizes", () => {
    const r = diff([first, second]);
    expect(r.from.id).toBe(first);
    expect(r.to).toMatchObject({ id: second });
    const vol = r.sections.find((s) => s.volume === "notes_data")!;
    expect(vol.root).toBe(mp);
    expect(names(vol.diff.added)).toEqual(["/conf/main.yml", "/new.bin"]);
    expect(names(vol.diff.removed)).toEqual(["/gone.txt"]);
    expect(vol.diff.changed).toEqual([
      { path: `${mp}/conf`, type: "dir", was: { type: "file", size: 26 } },
      { path: `${mp}/grow.txt`, type: "file", size: 24, was: { type: "file", size: 6 } },
    ]);
    expect(vol.diff.added.find((i) => i.path.endsWith("new.bin"))?.size).toBe(4096);
    const stackDir = r.sections.find((s) => s.root === dir)!;
    expect(stackDir.diff.added.map((i) => i.path)).toEqual([join(dir, "extra.env")]);
    expect(r.totals).toMatchObject({ added: 3, removed: 1, changed: 2 });
    // The default: SNAP against the snapshot before it, the same answer.
    const d = diff([second]);
    expect(d.from.id).toBe(first);
    expect(d.sections).toEqual(r.sections);
    // And in text.
    const text = cli(w, ["diff", second]).stdout;
    expect(text).toContain(`${mp} (volume notes_data): 2 added, 1 removed, 2 changed`);
    expect(text).toContain(`  ~ ${mp}/conf  file → dir`);
    expect(text).toContain(`  - ${mp}/gone.txt`);
  });

  it("against the live data: what changed since the snapshot; the first snapshot alone has nothing before it (exit 2)", () => {
    writeFileSync(join(mp, "after.txt"), "written after the last backup\n");
    rmSync(join(mp, "keep.txt"));
    const r = diff([second, "--live"]);
    expect(r.to).toBe("live");
    const vol = r.sections.find((s) => s.volume === "notes_data")!;
    expect(names(vol.diff.added)).toEqual(["/after.txt"]);
    expect(names(vol.diff.removed)).toEqual(["/keep.txt"]);
    expect(vol.diff.changed).toEqual([]);
    const none = cli(w, ["diff", first]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/is the first of stack notes .*nothing to compare it with/);
  });
});
