import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Snapshot } from "../../../src/restic/json";
import { StateStore } from "../../../src/state/store";

/** Synthetic restic snapshot list: `stacks` stacks, `per` snapshots each, one hour apart, two hosts. */
function synthetic(stacks: number, per: number): Snapshot[] {
  const out: Snapshot[] = [];
  const t0 = Date.parse("2025-01-01T00:00:00Z");
  for (let s = 0; s < stacks; s++) {
    for (let i = 0; i < per; i++) {
      const id = `${s.toString(16).padStart(4, "0")}${i.toString(16).padStart(6, "0")}`.padEnd(64, "a");
      const kind = i % 10 === 9 ? "hot" : "stack";
      out.push({
        id,
        short_id: id.slice(0, 8),
        time: new Date(t0 + i * 3600_000 + s * 1000).toISOString(),
        tree: "t",
        paths: [`/srv/stack${s}`],
        hostname: i % 2 ? "host-b" : "host-a",
        tags: ["backup-tui", `stack:stack${s}`, `kind:${kind}`, ...(i === 3 ? ["protected"] : [])],
      });
    }
  }
  return out;
}

describe("snapshot catalog", () => {
  let dir: string;
  let store: StateStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "catalog-"));
    store = StateStore.open(join(dir, "state.db"));
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Given 10,000 snapshots, When synced and filtered by stack, host and dates, Then each listing takes well under a second and is right", () => {
    const all = synthetic(20, 500);
    expect(store.catalog.sync(all)).toEqual({ added: 10_000, removed: 0 });
    const t = performance.now();
    const latest = store.catalog.list({ latestPerStack: 5 });
    const stack = store.catalog.list({
      stack: "stack7",
      host: "host-a",
      since: "2025-01-05T00:00:00Z",
      until: "2025-01-10T00:00:00Z",
    });
    const tagged = store.catalog.list({ tag: "protected" });
    const ms = performance.now() - t;
    expect(ms).toBeLessThan(500);
    expect(latest).toHaveLength(200); // 5 per stack and host
    expect(latest.every((s) => s.kind !== "hot")).toBe(true);
    expect(stack.length).toBeGreaterThan(0);
    expect(
      stack.every(
        (s) => s.stack === "stack7" && s.host === "host-a" && s.time >= "2025-01-05" && s.time <= "2025-01-10",
      ),
    ).toBe(true);
    expect(tagged).toHaveLength(20);
    expect(tagged.every((s) => s.protected)).toBe(true);
  });

  it("Given restic lost and gained snapshots, When synced again, Then only the difference is applied and tag changes are picked up", () => {
    const all = synthetic(20, 500);
    const next = all.slice(100);
    next[0] = { ...next[0], tags: [...next[0].tags, "protected"] };
    next.push({ ...all[0], id: "f".repeat(64), short_id: "ffffffff", time: "2026-01-01T00:00:00Z" });
    expect(store.catalog.sync(next)).toEqual({ added: 1, removed: 100 });
    expect(store.catalog.count()).toBe(9_901);
    expect(store.catalog.resolve(next[0].id.slice(0, 12))?.protected).toBe(true);
    expect(store.catalog.resolve("latest")?.id).toBe("f".repeat(64)); // newest of all
    expect(store.catalog.resolve("fffff")?.id).toBe("f".repeat(64));
  });

  it("Given an indexed file tree, When browsed and searched, Then children, subtrees and globs come from the catalog", async () => {
    const id = "f".repeat(64);
    await store.catalog.index(id, async (add) => {
      for (const p of [
        "/srv",
        "/srv/app",
        "/srv/app/db.sqlite",
        "/srv/app/conf",
        "/srv/app/conf/a.yml",
        "/srv/app/conf/b_%.yml",
      ]) {
        add({ name: p.split("/").pop()!, type: p.includes(".") ? "file" : "dir", path: p, size: 10 });
      }
    });
    expect(store.catalog.isIndexed(id)).toBe(true);
    expect(store.catalog.children(id, "/srv/app").map((f) => f.name)).toEqual(["conf", "db.sqlite"]);
    expect(store.catalog.tree(id, "/srv/app/conf").map((f) => f.path)).toEqual([
      "/srv/app/conf",
      "/srv/app/conf/a.yml",
      "/srv/app/conf/b_%.yml",
    ]);
    expect(store.catalog.find("*.yml", [id]).map((f) => f.name)).toEqual(["a.yml", "b_%.yml"]);
    expect(store.catalog.find("/srv/*/db.*", [id]).map((f) => f.path)).toEqual(["/srv/app/db.sqlite"]);
  });

  it("Given a catalog of one repository, When bound to another, Then it is emptied and must be read again", () => {
    store.catalog.bindTo("/srv/repo-a");
    store.catalog.sync(synthetic(1, 3));
    expect(store.catalog.bindTo("/srv/repo-a")).toBe(false);
    expect(store.catalog.count()).toBe(3);
    expect(store.catalog.bindTo("/srv/repo-b")).toBe(true);
    expect(store.catalog.count()).toBe(0);
    expect(store.catalog.refreshedAt()).toBeUndefined();
  });
});
