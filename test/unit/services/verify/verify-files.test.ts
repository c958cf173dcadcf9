import { describe, expect, it } from "vitest";
import { compareTree, describeCheck } from "../../../../src/services/verify/files";
import type { CatalogFile } from "../../../../src/state/catalog";

const f = (path: string, type: string, size?: number): CatalogFile => ({
  snapshotId: "s",
  path,
  name: path.split("/").pop()!,
  type,
  size,
});
const listing = [f("/v", "dir"), f("/v/a", "file", 3), f("/v/d", "dir"), f("/v/d/b", "file", 0), f("/v/l", "symlink")];
const tree = (entries: Array<[string, string, number]>) =>
  new Map(entries.map(([p, type, size]) => [`/scratch${p}`, { type, size }]));
const good: Array<[string, string, number]> = [
  ["", "dir", 0],
  ["/v", "dir", 0],
  ["/v/a", "file", 3],
  ["/v/d", "dir", 0],
  ["/v/d/b", "file", 0],
  ["/v/l", "symlink", 0],
];

describe("compareTree (verify --level files)", () => {
  it("Given a restore identical to the listing, Then nothing is missing, extra or differing, and files and bytes are counted", () => {
    expect(compareTree(listing, tree(good), "/scratch")).toEqual({
      files: 2,
      bytes: 3,
      missing: [],
      extra: [],
      differing: [],
    });
  });

  it("Given a file missing, one extra, one of another size and a dir restored as a file, Then each is named", () => {
    const bad = tree([
      ["", "dir", 0],
      ["/v", "dir", 0],
      ["/v/a", "file", 4],
      ["/v/d", "file", 0],
      ["/v/x", "file", 1],
      ["/v/l", "symlink", 0],
    ]);
    const r = compareTree(listing, bad, "/scratch");
    expect(r.missing).toEqual(["/v/d/b"]);
    expect(r.extra).toEqual(["/v/x"]);
    expect(r.differing).toEqual([
      "/v/a (file 3 B listed, file 4 B restored)",
      "/v/d (dir - listed, file 0 B restored)",
    ]);
  });

  it("Given the parents of the snapshot's paths made by the restore, Then they are not extra", () => {
    const deep = [f("/var/lib/v", "dir"), f("/var/lib/v/a", "file", 1)];
    const r = compareTree(
      deep,
      tree([
        ["", "dir", 0],
        ["/var", "dir", 0],
        ["/var/lib", "dir", 0],
        ["/var/lib/v", "dir", 0],
        ["/var/lib/v/a", "file", 1],
      ]),
      "/scratch",
    );
    expect(r).toMatchObject({ missing: [], extra: [], differing: [], files: 1 });
  });

  it("Given a failed check, Then the description names the stack, the snapshot and at most 20 paths of each kind", () => {
    const lines = describeCheck({
      stack: "web",
      snapshot: "0123456789abcdef",
      time: "2026-12-01T03:00:00Z",
      files: 0,
      bytes: 0,
      missing: Array.from({ length: 25 }, (_, i) => `/m${i}`),
      extra: [],
      differing: [],
      dumps: [],
      ok: false,
    });
    expect(lines[0]).toMatch(/^web: 01234567 \(.*\) FAILED$/);
    expect(lines[1]).toMatch(/^ {2}25 missing: \/m0, .*\/m19, \.\.\.$/);
  });
});

describe("describeCheck with dumps", () => {
  it("Given a dump that loaded with fewer rows than claimed, Then the stack FAILS and the line names the table and both counts", () => {
    const lines = describeCheck({
      stack: "db",
      snapshot: "0123456789abcdef",
      time: "2026-12-01T03:00:00Z",
      files: 3,
      bytes: 10,
      missing: [],
      extra: [],
      differing: [],
      ok: false,
      dumps: [
        {
          service: "pg",
          engine: "postgres",
          ok: false,
          tables: 1,
          rows: 5,
          problems: ["shop.public.items: 5 row(s) claimed, 3 found"],
          ms: 900,
        },
      ],
    });
    expect(lines[0]).toMatch(/FAILED$/);
    expect(lines).toContain("  dump pg (postgres) FAILED: shop.public.items: 5 row(s) claimed, 3 found");
  });
});
