import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  dropOld,
  finishInterruptedSwaps,
  pendingSafety,
  swapIn,
  SwapJournal,
  type SwapEntry,
  type SwapState,
} from "../../../src/fsops/swap";
import { placementOf, stopNeed } from "../../../src/services/restore/stage";

const HOST = "test-host";
const dead = { pid: 2 ** 22 + 12345, host: HOST, startedAt: "", command: "backup-tui restore" };

describe("restore swaps: only a run whose copies are all ready is finished after a crash", () => {
  let dir: string;
  let journal: SwapJournal;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "btui-swap-"));
    journal = new SwapJournal(join(dir, "state"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** live holds "live N", the staged copy "restored N"; the entry is journalled in the given state. */
  function entry(
    n: number,
    state: SwapState | undefined,
    o: { runId?: number; live?: boolean; placement?: "add" | "replace"; keepOld?: SwapEntry["keepOld"] } = {},
  ): SwapEntry {
    const live = join(dir, `data-${n}`);
    if (o.live !== false) {
      mkdirSync(live);
      writeFileSync(join(live, "f"), `live ${n}`);
    }
    const root = join(dir, `.backup-tui-restore-7-data-${n}`); // what stagingRootFor names it
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const staged = join(root, "snap", `data-${n}`);
    mkdirSync(staged, { recursive: true });
    writeFileSync(join(staged, "f"), `restored ${n}`);
    const e: SwapEntry = {
      id: `7-${n}`,
      runId: o.runId ?? 7,
      live,
      staged,
      old: `${root}.old`,
      stagingRoot: root,
      owner: dead,
      state,
      placement: o.placement,
      ...(o.keepOld ? { keepOld: o.keepOld } : {}),
    };
    if (state === undefined) delete e.state;
    journal.write(e);
    return e;
  }
  const content = (e: SwapEntry) =>
    existsSync(join(e.live, "f")) ? readFileSync(join(e.live, "f"), "utf8") : undefined;
  const leftAround = (e: SwapEntry) => [e.stagingRoot, e.old].filter(existsSync);

  it("Given a run with one copy ready and one still being written, When recovered, Then neither is swapped in, both live paths are as they were and the copies are gone", async () => {
    const a = entry(1, "ready");
    const b = entry(2, "writing");
    const done = await finishInterruptedSwaps(journal, HOST);
    expect(done.map((d) => d.action)).toEqual(["discarded", "discarded"]);
    expect([content(a), content(b)]).toEqual(["live 1", "live 2"]);
    expect([...leftAround(a), ...leftAround(b)]).toEqual([]);
    expect(journal.list()).toEqual([]);
  });

  it("Given copies staged (checked) but no safety snapshot yet, When recovered, Then they are discarded", async () => {
    const a = entry(1, "staged");
    expect(await finishInterruptedSwaps(journal, HOST)).toEqual([{ live: a.live, action: "discarded" }]);
    expect(content(a)).toBe("live 1");
  });

  it("Given a copy being written where nothing is live (a deleted path), When recovered, Then the partial copy is not put in its place", async () => {
    const a = entry(1, "writing", { live: false, placement: "add" });
    const legacy = entry(2, undefined, { live: false, runId: 8 }); // an older version's entry: no state
    await finishInterruptedSwaps(journal, HOST);
    expect(existsSync(a.live)).toBe(false);
    expect(existsSync(legacy.live)).toBe(false);
    expect([...leftAround(a), ...leftAround(legacy)]).toEqual([]);
  });

  it("Given every copy of a run ready, When recovered before, during or after the renames, Then each swap is finished and the old data removed", async () => {
    const notStarted = entry(1, "ready");
    const midway = entry(2, "ready");
    renameSync(midway.live, midway.old); // killed between live → old and staged → live
    const done = await finishInterruptedSwaps(journal, HOST);
    expect(done.map((d) => d.action)).toEqual(["completed", "completed"]);
    expect([content(notStarted), content(midway)]).toEqual(["restored 1", "restored 2"]);
    expect([...leftAround(notStarted), ...leftAround(midway)]).toEqual([]);
  });

  it("Given ready copies whose replaced data is kept for a safety snapshot after the start, When recovered before or during the renames, Then each swap is finished, the old data kept and listed as owing its safety snapshot", async () => {
    const keepOld = { tags: ["backup-tui", "kind:pre-restore"], parent: "a".repeat(64) };
    const notStarted = entry(1, "ready", { keepOld });
    const midway = entry(2, "ready", { keepOld });
    renameSync(midway.live, midway.old);
    const done = await finishInterruptedSwaps(journal, HOST);
    expect(done.map((d) => d.action)).toEqual(["completed", "completed"]);
    expect([content(notStarted), content(midway)]).toEqual(["restored 1", "restored 2"]);
    expect(readFileSync(join(notStarted.old, "f"), "utf8")).toBe("live 1");
    expect(readFileSync(join(midway.old, "f"), "utf8")).toBe("live 2");
    expect(existsSync(notStarted.stagingRoot)).toBe(false);
    const [run] = pendingSafety(journal, HOST);
    expect(run.map((e) => [e.live, e.state, e.keepOld?.parent])).toEqual([
      [notStarted.live, "swapped", keepOld.parent],
      [midway.live, "swapped", keepOld.parent],
    ]);
    // Recovered again (the safety snapshot failed meanwhile): nothing changes, nothing is lost.
    await finishInterruptedSwaps(journal, HOST);
    expect(readFileSync(join(midway.old, "f"), "utf8")).toBe("live 2");
    expect(pendingSafety(journal, HOST)[0]).toHaveLength(2);
    for (const e of run) await dropOld(e, journal);
    expect([...leftAround(notStarted), ...leftAround(midway)]).toEqual([]);
    expect(journal.list()).toEqual([]);
  });

  it("Given a swap that keeps the old data, When swapped in by its (live) run, Then the restored copy is live, the old kept, the entry swapped; the recovery leaves it to its live run", async () => {
    const e = entry(1, "ready", { keepOld: { tags: [] } });
    const mine = { ...e, owner: { ...dead, pid: process.pid } };
    journal.write(mine);
    await swapIn(mine, journal);
    expect(content(e)).toBe("restored 1");
    expect(readFileSync(join(e.old, "f"), "utf8")).toBe("live 1");
    expect(mine.state).toBe("swapped");
    expect(pendingSafety(journal, HOST)).toEqual([]); // its owner is alive: not the recovery's
  });

  it("Given an older version's entry killed between live → old and staged → live, When recovered, Then the previous data is put back", async () => {
    const e = entry(1, undefined);
    renameSync(e.live, e.old);
    expect(await finishInterruptedSwaps(journal, HOST)).toEqual([{ live: e.live, action: "rolled-back" }]);
    expect(content(e)).toBe("live 1");
  });

  it("Given a ready add whose path was created meanwhile, When swapped in or recovered, Then what is there now is never replaced", async () => {
    const e = entry(1, "ready", { live: false, placement: "add" });
    mkdirSync(e.live);
    writeFileSync(join(e.live, "f"), "written by the service meanwhile");
    await expect(swapIn(e, journal)).rejects.toThrow(/appeared while it was being restored/);
    expect(content(e)).toBe("written by the service meanwhile");
    expect(await finishInterruptedSwaps(journal, HOST)).toEqual([{ live: e.live, action: "discarded" }]);
    expect(content(e)).toBe("written by the service meanwhile");
  });

  it("Given a swap not ready, When swapIn is called, Then it refuses and touches nothing", async () => {
    const e = entry(1, "staged");
    await expect(swapIn(e, journal)).rejects.toThrow(/before its restored copy is ready/);
    expect(content(e)).toBe("live 1");
  });

  it("Given a live process's entries, When recovered, Then they are left alone", async () => {
    const e = entry(1, "writing");
    journal.write({ ...e, owner: { ...dead, pid: process.pid } });
    expect(await finishInterruptedSwaps(journal, HOST)).toEqual([]);
    expect(journal.list()).toHaveLength(1);
  });
});

describe("where a restored path lands and whether the stack stops", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "btui-place-"));
    mkdirSync(join(dir, "vol", "notes"), { recursive: true });
    writeFileSync(join(dir, "vol", "notes", "a.txt"), "a");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const root = () => join(dir, "vol");
  const m = (rel: string) => ({ source: `/old/vol${rel}`, live: join(root(), rel), volume: "vol" });

  it("Given a file that exists, Then it is replaced and the containers stop, saying why", async () => {
    const p = placementOf(m("/notes/a.txt"), root());
    expect(p).toMatchObject({ add: false, live: join(root(), "notes/a.txt") });
    const need = stopNeed([p], true);
    expect(need.stop).toBe(true);
    expect(need.reason).toContain(`it replaces ${join(root(), "notes/a.txt")}`);
  });

  it("Given a file missing in missing folders, Then the topmost missing folder is added and nothing stops", async () => {
    const p = placementOf(m("/x/y/z.txt"), root());
    expect(p).toMatchObject({
      add: true,
      live: join(root(), "x"),
      source: "/old/vol/x",
      include: "/old/vol/x/y/z.txt",
      rootExists: true,
    });
    expect(stopNeed([p], true)).toMatchObject({ stop: false });
  });

  it("Given a missing root (a deleted bind folder, a volume on a new host), Then it is added but the stop stays (a running container would not see it)", async () => {
    rmSync(root(), { recursive: true });
    const p = placementOf(m("/notes/a.txt"), root());
    expect(p).toMatchObject({ add: true, live: root(), source: "/old/vol", rootExists: false });
    expect(stopNeed([p], true).stop).toBe(true);
    expect(stopNeed([placementOf({ source: "/old/vol", live: root() }, root())], false).stop).toBe(true);
  });

  it("Given a whole-stack restore, Then it always stops (even where only new paths are added)", async () => {
    expect(stopNeed([placementOf(m(""), root())], false).stop).toBe(true);
  });
});
