import { describe, expect, it } from "vitest";
import { deleteLines, protectLines } from "../../../src/reports/retention";
import { recoverLines } from "../../../src/reports/recover";
import { syncLines } from "../../../src/reports/sync";
import { verifyLines, verifyStartLine } from "../../../src/reports/verify";
import type { SyncReport } from "../../../src/services/sync/sync";
import type { CatalogSnapshot } from "../../../src/state/catalog";

const sync = (over: Partial<SyncReport> = {}): SyncReport => ({
  runId: 3,
  target: "default",
  mode: "mirror",
  remote: "cloud:bk",
  attempts: 1,
  transfer: { copied: 6, deleted: 1, stats: { bytes: 1024 * 1024, elapsedTime: 2 } as never },
  localSnapshots: 2,
  remoteSnapshots: 2,
  purgedDeletedDirs: [],
  exitCode: 0,
  ...over,
});

describe("the job renderers (CLI text and TUI summaries alike)", () => {
  it("Given a sync whose cloud copy differs, When rendered, Then the CLI's text lists the files and says what to run; the TUI's cap lists fewer", () => {
    const diffs = Array.from({ length: 25 }, (_, i) => `data/${i}: sizes differ`);
    const r = sync({ verified: { ok: false, differences: diffs }, exitCode: 1 });
    const text = syncLines(r).join("\n");
    expect(text).toBe(
      [
        "synced to cloud:bk: 6 file(s) copied, 1 removed, 1.0 MiB in 2.0 s",
        `THE CLOUD COPY DIFFERS from the local repository (restic never rewrites a file: one side is damaged, and it was not copied over the other):\n  ${diffs.slice(0, 20).join("\n  ")}\nRun \`backup-tui verify --level data\` and \`backup-tui verify --remote --level data\`; \`sync --force\` replaces the cloud's files with the local ones.`,
      ].join("\n"),
    );
    expect(syncLines(r, { differences: 10 }).filter((l) => l.startsWith("  data/"))).toHaveLength(10);
  });

  it("Given a dry-run sync, When rendered, Then it says nothing was changed", () => {
    expect(syncLines(sync({ dryRun: true, runId: undefined }))[0]).toBe(
      "dry run: would sync to cloud:bk: 6 file(s) to copy (1.0 MiB), 1 to remove; nothing was changed or recorded",
    );
  });

  it("Given verify results, When rendered, Then OK names level and part, FAILED carries restic's detail line by line", () => {
    expect(verifyLines({ ok: true, level: "subset", part: "3/10", target: "/repo" })).toEqual([
      "verified /repo: subset 3/10 OK",
    ]);
    expect(
      verifyLines({ ok: false, level: "data", detail: "pack 1 damaged\npack 2 damaged", target: "/repo" }).join("\n"),
    ).toBe("VERIFICATION FAILED for /repo (data):\npack 1 damaged\npack 2 damaged");
    expect(verifyStartLine("/repo", "subset", "5%")).toBe("verifying /repo (subset 5%)");
    expect(verifyStartLine("/repo", "metadata", "5%")).toBe("verifying /repo (metadata)");
  });

  it("Given a recovery with nothing to do, or with a container that stays down, When rendered, Then it says so", () => {
    const none = { recovered: [], snapshotsRemoved: [], snapshotsLeft: [], failed: [], gone: [], live: 0 };
    const base = { ...none, interruptedRuns: 0, orphans: [], swaps: [], keptSafety: [] };
    expect(recoverLines(base)).toEqual(["nothing to recover"]);
    // As the CLI has always said it: a failed restart alone still begins with "nothing to recover".
    expect(recoverLines({ ...base, failed: [{ stack: "web", name: "web-1", reason: "port taken" }] })).toEqual([
      "nothing to recover",
      "NOT running: web-1 (web): port taken",
    ]);
    expect(recoverLines({ ...base, recovered: ["web-1"], live: 1 })).toEqual([
      "restarted: web-1",
      "1 entry belong to a run that is still alive: left alone",
    ]);
  });

  it("Given protect, delete results, When rendered, Then the new id and where the data is freed are said", () => {
    const was = { id: "aaaa1111", shortId: "aaaa1111" } as CatalogSnapshot;
    const now = { id: "bbbb2222", shortId: "bbbb2222" } as CatalogSnapshot;
    expect(protectLines({ protected: true, was, now })).toEqual(["protected aaaa1111 (its id is now bbbb2222)"]);
    expect(protectLines({ protected: false, was, now: was })).toEqual(["unprotected aaaa1111"]);
    expect(deleteLines(["aaaa1111"], false)).toEqual(["deleted aaaa1111 (data is freed by `backup-tui prune`)"]);
    expect(deleteLines(["aaaa1111"], true)).toEqual(["deleted aaaa1111 and pruned unreferenced data"]);
  });
});
