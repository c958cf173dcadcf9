import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { groupAlive } from "../../../src/exec/runner";
import { ChildRecords } from "../../../src/state/children";
import { isAlive, isZombie, pidExists, processStartTime } from "../../../src/state/process-info";

// Real process groups (sleep in its own group), records as a killed run would have left them.
const spawned: number[] = [];
const group = () => {
  const c = spawn("sh", ["-c", "trap '' TERM; sleep 60 & wait"], { detached: true, stdio: "ignore" });
  c.unref();
  spawned.push(c.pid!);
  return c.pid!;
};
afterEach(() => {
  for (const p of spawned.splice(0)) {
    try {
      process.kill(-p, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** A record as written by a process that is now gone (pid 2147483646 never runs). */
function leftBy(dir: string, pgid: number, owner = 2147483646, start = processStartTime(pgid)) {
  writeFileSync(join(dir, `${pgid}.json`), JSON.stringify({ pgid, start, name: "restic", owner }));
}

describe("ChildRecords: what a killed run left running", () => {
  it("Given a group whose owner is gone, Then reapOrphans stops all of it (TERM ignored → KILL) and forgets the record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "children-"));
    const pgid = group();
    await new Promise((r) => setTimeout(r, 100));
    leftBy(dir, pgid);
    expect(await new ChildRecords(dir).reapOrphans(300)).toEqual([`restic (pid ${pgid})`]);
    await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive(pgid)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("Given a group whose owner still runs, Then it is left alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "children-"));
    const pgid = group();
    leftBy(dir, pgid, process.ppid);
    expect(await new ChildRecords(dir).reapOrphans(300)).toEqual([]);
    expect(groupAlive(pgid)).toBe(true);
    expect(readdirSync(dir)).toEqual([`${pgid}.json`]);
  });

  it("Given a record whose pid now belongs to another process (another start time), Then nothing is killed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "children-"));
    const pgid = group();
    leftBy(dir, pgid, 2147483646, "1");
    expect(await new ChildRecords(dir).reapOrphans(300)).toEqual([]);
    expect(groupAlive(pgid)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("add and remove keep one file per running group", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "children-")), "nested");
    const r = new ChildRecords(dir);
    r.add(process.pid, "docker");
    expect(readdirSync(dir)).toEqual([`${process.pid}.json`]);
    r.remove(process.pid);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("a zombie is dead", () => {
  it("Given a child its parent has not reaped, Then isAlive is false while its pid still exists (what restic's stale-lock check sees)", async () => {
    // python3: fork a child that exits at once; the parent prints its pid and does not reap it.
    const p = spawn(
      "python3",
      ["-c", "import os,time\npid=os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True); time.sleep(3)"],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    spawned.push(p.pid!);
    const pid = await new Promise<number>((resolve) =>
      p.stdout!.once("data", (d) => resolve(Number(String(d).trim()))),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(isZombie(pid)).toBe(true);
    expect(pidExists(pid)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
    p.kill("SIGKILL");
  });
});
