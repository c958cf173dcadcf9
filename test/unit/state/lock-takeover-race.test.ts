import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readOwner } from "../../../src/state/lock";
import { startRacer, type Racer } from "../../helpers/lock-racer";

const REPO = "/mnt/backup/race-repo";
const PROCESSES = 8;
const ROUNDS = 24;
let stateDir: string;
let racers: Racer[] = [];

afterEach(async () => {
  for (const r of racers) r.child.kill("SIGKILL");
  await Promise.all(racers.map((r) => r.exited));
  racers = [];
  rmSync(stateDir, { recursive: true, force: true });
});

async function killHard(r: Racer): Promise<void> {
  r.child.kill("SIGKILL");
  await r.exited; // reaped: its pid is dead, not a zombie
}

describe("lock takeover race", () => {
  it(`Given a lock left by a holder killed -9, When ${PROCESSES} processes take it at once, Then exactly one wins, every round of ${ROUNDS}`, async () => {
    stateDir = mkdtempSync(join(tmpdir(), "lock-race-"));
    const first = await startRacer(stateDir, REPO);
    expect(await first.ask("go")).toBe("won");
    await killHard(first);
    racers = await Promise.all(Array.from({ length: PROCESSES }, () => startRacer(stateDir, REPO)));
    const winnersPerRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(racers.map((r) => r.ask("go")));
      expect(answers.filter((a) => a !== "won" && a !== "busy")).toEqual([]);
      const winners = racers.filter((_, i) => answers[i] === "won");
      winnersPerRound.push(winners.length);
      if (winners.length !== 1) continue;
      expect(readOwner(stateDir, REPO)?.pid).toBe(winners[0].pid);
      // The winner dies holding the lock: the next round races over a dead holder's lock again.
      await killHard(winners[0]);
      racers = [...racers.filter((r) => r !== winners[0]), await startRacer(stateDir, REPO)];
    }
    expect(winnersPerRound).toEqual(Array(ROUNDS).fill(1));
  }, 120_000);
});
