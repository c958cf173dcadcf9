import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/json";
import { StateStore } from "../../../src/state/store";

const snap = (id: string, extra: Partial<Snapshot> = {}): Snapshot => ({
  id,
  short_id: id.slice(0, 8),
  time: "2026-12-01T00:00:00Z",
  tree: "t",
  paths: ["/srv/app"],
  hostname: "vm",
  tags: ["backup-tui", "stack:app", "kind:stack"],
  ...extra,
});

describe("catalog: the manifest a snapshot holds, kept so a restore needs no restic dump", () => {
  const dirs: string[] = [];
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), "catalog-manifest-"));
    dirs.push(dir);
    return StateStore.open(join(dir, "state.db"));
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("is found by id, or by the original of a rewritten copy; unknown ids find nothing", () => {
    const { catalog } = open();
    catalog.setManifest("a".repeat(64), '{"stack":"app"}');
    expect(catalog.manifest("a".repeat(64))).toBe('{"stack":"app"}');
    expect(catalog.manifest("b".repeat(64))).toBeUndefined();
    expect(catalog.manifest("b".repeat(64), "a".repeat(64))).toBe('{"stack":"app"}');
  });

  it("goes when restic no longer lists the snapshot, and when the catalog is bound to another repository", () => {
    const { catalog } = open();
    const a = "a".repeat(64);
    const b = "b".repeat(64);
    catalog.bindTo("/repo/one");
    catalog.sync([snap(a), snap(b)]);
    catalog.setManifest(a, "{}");
    catalog.setManifest(b, "{}");
    catalog.sync([snap(b)]);
    expect(catalog.manifest(a)).toBeUndefined();
    expect(catalog.manifest(b)).toBe("{}");
    catalog.bindTo("/repo/two");
    expect(catalog.manifest(b)).toBeUndefined();
  });
});
