import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { BusyError } from "../errors";
import type { Logger } from "../log";
import { isAlive, type Owner } from "./process-info";

export interface RepoLock {
  release(): Promise<void>;
  owner: Owner;
}

export interface LockOptions {
  stateDir: string;
  repository: string;
  owner: Owner;
  /** How long to wait for another holder (ms); 0 refuses at once. */
  waitMs?: number;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/** Lock paths for a repository, keyed by a hash of its URL. */
export function lockPaths(stateDir: string, repository: string): { target: string; lockDir: string; info: string } {
  const key = createHash("sha256").update(repository).digest("hex").slice(0, 16);
  const dir = join(stateDir, "locks");
  return { target: join(dir, `repo-${key}`), lockDir: join(dir, `repo-${key}.lock`), info: join(dir, `repo-${key}.owner.json`) };
}

export function readOwner(stateDir: string, repository: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(lockPaths(stateDir, repository).info, "utf8")) as Owner;
  } catch {
    return undefined;
  }
}

/**
 * Takes the one lock of a repository. A holder whose pid is dead on this host is taken over;
 * a live holder makes this wait up to waitMs, then throw BusyError (exit 75) naming it.
 */
export async function acquireRepoLock(o: LockOptions): Promise<RepoLock> {
  const p = lockPaths(o.stateDir, o.repository);
  mkdirSync(join(o.stateDir, "locks"), { recursive: true, mode: 0o700 });
  writeFileSync(p.target, "", { flag: "a", mode: 0o600 });
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (o.waitMs ?? 0);
  for (;;) {
    try {
      const release = await lockfile.lock(p.target, {
        realpath: false,
        stale: 30_000,
        update: 10_000,
        lockfilePath: p.lockDir,
        onCompromised: (err) => o.log?.warn({ err: err.message }, "repository lock compromised"),
      });
      writeFileSync(p.info, JSON.stringify(o.owner), { mode: 0o600 });
      return {
        owner: o.owner,
        release: async () => {
          rmSync(p.info, { force: true });
          await release().catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      const holder = readOwner(o.stateDir, o.repository);
      if (holder && holder.host === o.owner.host && !isAlive(holder.pid, holder.pidStart)) {
        o.log?.warn({ holder }, "taking over the lock of a dead process");
        rmSync(p.lockDir, { recursive: true, force: true });
        rmSync(p.info, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        const who = holder ? `pid ${holder.pid} on ${holder.host} (\`${holder.command}\`, since ${holder.startedAt})` : "another process";
        throw new BusyError(
          `the repository is busy: locked by ${who}`,
          o.waitMs ? "It did not finish in time; try again later or raise --wait." : "Wait for it to finish, or pass --wait 10m to queue behind it.",
        );
      }
      await sleep(Math.min(1000, Math.max(50, deadline - Date.now())));
    }
  }
}
