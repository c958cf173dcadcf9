import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { STATUS_FORMAT, type StatusDocument } from "../../../src/services/fleet/document";
import { fleetView } from "../../../src/services/fleet/view";
import type { CatalogSnapshot, SnapshotFilter } from "../../../src/state/catalog";
import { App } from "../../../src/tui/app";
import type { TuiBackend } from "../../../src/tui/backend";
import type { FleetReport } from "../../../src/usecases/fleet";
import { KEY, press, until } from "../../helpers/ink";

// The Fleet screen (7) at 80x24 over a backend whose fleet is built by the real view from three
// published documents: worst host first, and Enter on a host's stack opens the Snapshots screen
// on that host's snapshots of that stack alone.

const NOW = Date.now();
const H = 3600_000;
const at = (ms: number) => new Date(NOW + ms).toISOString();

function doc(host: string, published: number, stacks: StatusDocument["stacks"], within = 48 * H): StatusDocument {
  return {
    format: STATUS_FORMAT,
    host,
    publishedAt: at(published),
    version: "1",
    publishWithinMs: within,
    stacks,
    warnings: 0,
  };
}
const stack = (name: string, good: number, status = "succeeded"): StatusDocument["stacks"][number] => ({
  stack: name,
  lastGood: { at: at(good), durationMs: 1, downtimeMs: 1 },
  last: { at: at(good), status, ...(status === "failed" ? { error: "restic: disk full" } : {}) },
  thresholdMs: 48 * H,
  overdue: false,
});

function report(): FleetReport {
  const docs = [
    doc("h1", -H, [stack("web", -H), stack("db", -H)]),
    doc("h2", -H, [stack("mail", -H, "failed")]),
    doc("h3", -3 * H, [stack("git", -3 * H)], 2 * H),
  ];
  const published = docs.map((d) => ({ host: d.host, snapshot: `${d.host}snap`, time: d.publishedAt, doc: d }));
  return {
    repository: "s3:bucket",
    viewer: "laptop",
    now: new Date(NOW).toISOString(),
    hosts: fleetView(published, new Date(NOW)),
  };
}

function snap(host: string, stackName: string, i: number): CatalogSnapshot {
  const id = `${i}`.padStart(8, "0") + "a".repeat(56);
  return {
    id,
    shortId: id.slice(0, 8),
    time: at(-i * 60_000),
    host,
    stack: stackName,
    kind: "stack",
    tags: ["backup-tui", `stack:${stackName}`, "kind:stack"],
    paths: ["/srv"],
    protected: false,
    indexed: false,
  };
}

function backend(): { backend: TuiBackend; filters: SnapshotFilter[]; refreshed: () => number } {
  const snaps = [snap("h1", "web", 1), snap("h2", "web", 2), snap("h2", "mail", 3), snap("h2", "mail", 4)];
  const filters: SnapshotFilter[] = [];
  let refreshes = 0;
  const b: Partial<TuiBackend> = {
    async dashboard() {
      return { repository: "s3:bucket", host: "laptop", snapshotTotal: 4, stacks: [], warnings: [] };
    },
    listSnapshots(f) {
      filters.push(f);
      return snaps.filter((s) => (!f.stack || s.stack === f.stack) && (!f.host || s.host === f.host));
    },
    async fleet() {
      return report();
    },
    async refreshSnapshots() {
      refreshes++;
      return { total: snaps.length, added: 0, removed: 0 };
    },
    async schedules() {
      return { jobs: [], installed: [] };
    },
  };
  return { backend: b as TuiBackend, filters, refreshed: () => refreshes };
}

afterEach(() => cleanup());

describe("TUI Fleet screen", () => {
  it("at 80x24: worst host first with its stacks; Enter on h2's mail opens h2's mail snapshots only", async () => {
    const { backend: b, filters, refreshed } = backend();
    const r = render(<App backend={b} size={{ columns: 80, rows: 24 }} onExit={() => undefined} />);
    await press(r.stdin, "7");
    const frame = await until(r.lastFrame, /3 host\(s\) · 2 need a look/);
    expect(frame).toContain("[7 Fleet]");
    const lines = frame.split("\n");
    const row = (re: RegExp) => lines.findIndex((l) => re.test(l));
    // h3 is silent (its 2 h window passed), h2 has a failed stack, h1 is fine.
    expect(row(/^[\s›]*h3\s+OVERDUE \(silent\)/)).toBeGreaterThan(0);
    expect(row(/^[\s›]*h2\s+FAILED/)).toBeGreaterThan(row(/^[\s›]*h3\s/));
    expect(row(/^[\s›]*h1\s+ok/)).toBeGreaterThan(row(/^[\s›]*h2\s/));
    expect(lines[row(/mail\s+FAILED/)]).toContain("restic: disk full");
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);

    // h3, git, h2, mail: the cursor moves to h2's mail stack.
    await press(r.stdin, KEY.down, KEY.down, KEY.down, KEY.enter);
    const snaps = await until(r.lastFrame, /host h2 · stack mail/);
    expect(snaps).toContain("[4 Snapshots]");
    expect(filters.at(-1)).toMatchObject({ host: "h2", stack: "mail" });
    expect(snaps.match(/mail/g)?.length).toBeGreaterThanOrEqual(2);
    expect(snaps).not.toMatch(/\bweb\b/);
    // Another host's snapshots: the repository is read once (the catalog may not hold them yet).
    await until(r.lastFrame, /refreshed: 4 snapshot\(s\)/);
    expect(refreshed()).toBe(1);
  });
});
