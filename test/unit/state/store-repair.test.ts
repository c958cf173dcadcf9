import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors";
import { stateDamage } from "../../../src/state/store-damage";
import { openStateStore, StoreUnavailableError } from "../../../src/state/store-repair";
import { bundleScript, srcModule } from "../../helpers/lock-racer";

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "store-repair-"));
  file = join(dir, "state.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const corrupt = () => readdirSync(dir).filter((n) => n.startsWith("state.db.corrupt-"));

describe("openStateStore", () => {
  it("Given garbage in state.db, When it is opened twice, Then it is set aside once, said once, and the fresh database works", () => {
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const said: string[] = [];
    const store = openStateStore(file, { onSetAside: (m) => said.push(m) });
    expect(store.startRun("backup", "manual", { pid: 1, host: "h", startedAt: "x", command: "c" })).toBe(1);
    store.close();
    expect(corrupt()).toHaveLength(1);
    expect(said).toEqual([
      expect.stringContaining(`was damaged (file is not a database): it was set aside as ${join(dir, corrupt()[0])}`),
    ]);
    openStateStore(file, { onSetAside: (m) => said.push(m) }).close();
    expect(said).toHaveLength(1);
  });

  it("Given a state.db that is a directory, When it is opened, Then StoreUnavailableError names it and nothing is renamed", () => {
    rmSync(file, { force: true });
    mkdirSync(file);
    const err = (() => {
      try {
        openStateStore(file);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as AppError).message).toBe(`the state database ${file} cannot be opened: unable to open database file`);
    expect(corrupt()).toEqual([]);
  });

  it("Given damage found after the database opened (SQLITE_CORRUPT), When it is reported, Then the message is plain and the next open sets the database aside", () => {
    openStateStore(file).close();
    const sqlite = Object.assign(new Error("database disk image is malformed"), {
      code: "ERR_SQLITE_ERROR",
      errcode: 11,
      errstr: "database disk image is malformed",
    });
    const shown = stateDamage(
      new AppError("restore failed: database disk image is malformed", 1, undefined, { cause: sqlite }),
    );
    expect(shown?.message).toMatch(/^the state database .* is damaged \(database disk image is malformed\)$/);
    expect(shown?.message).toContain(file);
    expect(existsSync(`${file}.damaged`)).toBe(true);
    const said: string[] = [];
    openStateStore(file, { onSetAside: (m) => said.push(m) }).close();
    expect(said).toEqual([expect.stringContaining("was damaged (database disk image is malformed)")]);
    expect(corrupt()).toHaveLength(1);
    expect(existsSync(`${file}.damaged`)).toBe(false);
    expect(stateDamage(new Error("something else"))).toBeUndefined();
  });

  it("Given garbage in state.db, When 6 processes open it at the same instant (boot), Then it is set aside exactly once and every one of them opens a working database", async () => {
    const script = bundleScript(`
      import { openStateStore } from ${srcModule("state", "store-repair.ts")};
      const said = [];
      // All start at the same instant (argv[3]), as the boot unit and the timers do.
      while (Date.now() < Number(process.argv[3])) {}
      const store = openStateStore(process.argv[2], { onSetAside: (m) => said.push(m) });
      store.startRun("backup", "manual", { pid: process.pid, host: "h", startedAt: "x", command: "c" });
      process.stdout.write(JSON.stringify({ said: said.length }));
    `);
    for (let round = 0; round < 5; round++) {
      for (const n of readdirSync(dir)) rmSync(join(dir, n), { recursive: true, force: true });
      writeFileSync(file, Buffer.alloc(8192, 0x5a));
      const at = String(Date.now() + 1500);
      const results = await Promise.all(
        Array.from(
          { length: 6 },
          () =>
            new Promise<{ code: number | null; out: string }>((resolve) => {
              const child = spawn(process.execPath, [script, file, at], { stdio: ["ignore", "pipe", "inherit"] });
              let out = "";
              child.stdout.on("data", (d) => (out += d));
              child.on("close", (code) => resolve({ code, out }));
            }),
        ),
      );
      expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
      expect(results.map((r) => JSON.parse(r.out).said).reduce((a, b) => a + b, 0)).toBe(1);
      expect(corrupt()).toHaveLength(1);
    }
  }, 60_000);
});
