import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { btui } from "../command-hint";
import { AppError, BusyError, ExitCode } from "../errors";
import type { Logger } from "../log";
import { isAlive, pidExists, type Owner } from "./process-info";

export interface RepoLock {
  release(): Promise<void>;
  owner: Owner;
  /** Set once the lock file was removed or replaced under this holder. */
  lost(): LockLostError | undefined;
}

export interface LockOptions {
  stateDir: string;
  repository: string;
  owner: Owner;
  /** How long to wait for another holder (ms); 0 refuses at once. */
  waitMs?: number;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Called once if the lock file is removed or replaced while held: stop the run. */
  onLost?: (err: LockLostError) => void;
  /** How often the holder checks that the lock file is still its own (ms). */
  checkMs?: number;
}

/** The lock file of this run was removed or replaced while the run held it. */
export class LockLostError extends AppError {
  /** What the run returned when it finished despite the lost lock (its report is still worth printing). */
  result?: unknown;
  constructor(
    readonly lockFile: string,
    readonly detail: string,
    exitCode: number = ExitCode.failed,
  ) {
    super(
      `the repository lock was lost while this run held it (${detail}): the run was stopped as on SIGTERM, restarting what it had stopped`,
      exitCode,
      `Something removed or replaced ${lockFile} (a person, a script, or a backup-tui on another host sharing this state directory). Check \`${btui("status")}\`, then run the job again.`,
    );
  }
}

/** The owner file is the lock: Owner plus a token no other holder shares. */
type LockOwner = Owner & { token?: string };

/** Lock paths for a repository, keyed by a hash of its URL. */
export function lockPaths(stateDir: string, repository: string): { info: string } {
  const key = createHash("sha256").update(repository).digest("hex").slice(0, 16);
  return { info: join(stateDir, "locks", `repo-${key}.owner.json`) };
}

/** The holder of a repository's lock, as status shows it (the token stays inside). */
export function readOwner(stateDir: string, repository: string): Owner | undefined {
  const owner = inspect(lockPaths(stateDir, repository).info)?.owner;
  if (!owner) return undefined;
  const { token: _token, ...shown } = owner;
  return shown;
}

/**
 * Takes the one lock of a repository: an owner file (pid, pid start time, host, command) that
 * exists only while held. It is written and fsynced under a name of our own first, then made
 * the lock with link(2), which fails if the lock exists, so a reader never sees half of it.
 * A holder whose pid is dead on this host is taken over by exactly one process (see claim);
 * a holder on another host never is. A live holder makes this wait up to waitMs, then throw
 * BusyError (exit 75) naming it. While held, the file is checked every checkMs: if it was
 * removed or replaced, onLost is called (the run must stop).
 */
export async function acquireRepoLock(o: LockOptions): Promise<RepoLock> {
  const file = lockPaths(o.stateDir, o.repository).info;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  sweepTemps(dirname(file));
  const token = randomBytes(12).toString("hex");
  const mine: LockOwner = { ...o.owner, token };
  const tmp = writeTemp(file, mine);
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (o.waitMs ?? 0);
  // Another process in the middle of a takeover holds it a moment later: never call that busy unseen.
  const contendedUntil = Date.now() + 2000;
  try {
    for (;;) {
      const r = claim(file, tmp, o.owner.host, o.log);
      if (r.won) break;
      if (r.contended && Date.now() < Math.max(deadline, contendedUntil)) {
        await sleep(5 + Math.floor(Math.random() * 10));
        continue;
      }
      if (Date.now() >= deadline) throw busy(r.holder, o.waitMs);
      await sleep(Math.min(1000, Math.max(50, deadline - Date.now())));
    }
  } finally {
    unlinkQuiet(tmp);
  }
  return holding(file, mine, o);
}

/**
 * A short lock for a quick synchronous repair (setting a damaged state database aside), under
 * the same file and takeover rules: waits (blocking, in small steps) up to waitMs for a holder.
 */
export function withLockSync<T>(stateDir: string, name: string, owner: Owner, fn: () => T, waitMs = 10_000): T {
  const file = lockPaths(stateDir, name).info;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const mine: LockOwner = { ...owner, token: randomBytes(12).toString("hex") };
  const tmp = writeTemp(file, mine);
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      const r = claim(file, tmp, owner.host, undefined);
      if (r.won) break;
      if (Date.now() >= deadline) throw busy(r.holder, waitMs);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  } finally {
    unlinkQuiet(tmp);
  }
  try {
    return fn();
  } finally {
    if (inspect(file)?.owner?.token === mine.token) unlinkQuiet(file);
  }
}

function holding(file: string, mine: LockOwner, o: LockOptions): RepoLock {
  let lost: LockLostError | undefined;
  let released = false;
  const check = async () => {
    if (lost || released) return;
    let now: LockOwner | undefined;
    try {
      now = parseOwner(await readFile(file, "utf8"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") return; // unreadable for a moment: check again next time
    }
    if (lost || released || now?.token === mine.token) return; // a check that ran meanwhile decided
    const who = now ? `now held by pid ${now.pid} on ${now.host} (\`${now.command}\`)` : "its file was removed";
    lost = new LockLostError(file, who);
    clearInterval(timer);
    o.log?.error({ file, holder: now }, "repository lock lost: stopping the run");
    o.onLost?.(lost);
  };
  const timer = setInterval(() => void check(), o.checkMs ?? 2000);
  timer.unref();
  return {
    owner: o.owner,
    lost: () => lost,
    release: async () => {
      await check();
      released = true;
      clearInterval(timer);
      // Only our own file: a lock that was replaced belongs to its new holder.
      if (!lost && inspect(file)?.owner?.token === mine.token) unlinkQuiet(file);
    },
  };
}

interface Seen {
  /** This generation of the file: its inode and content (the content holds a random token). */
  key: string;
  owner?: LockOwner;
}

type Claim = { won: true } | { won: false; holder?: LockOwner; contended: boolean };

/**
 * Makes path the file tmp is (a hard link) unless a live holder has it. A dead holder's file
 * is replaced only by the one process that creates `path.takeover-<generation>` (itself
 * claimed the same way, so a contender that died there is taken over too): it checks that
 * path is still that generation, then renames its own file over it. No one ever deletes a
 * lock to retake it, so no second process can slip into a gap.
 */
function claim(path: string, tmp: string, host: string, log: Logger | undefined, depth = 0): Claim {
  for (;;) {
    try {
      linkSync(tmp, path);
      return { won: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const seen = inspect(path);
    if (!seen) continue; // released meanwhile
    if (!takeable(seen.owner, host)) return { won: false, holder: seen.owner, contended: false };
    if (depth >= 8) return { won: false, holder: seen.owner, contended: true };
    const guard = `${path}.takeover-${seen.key}`;
    const g = claim(guard, tmp, host, log, depth + 1);
    if (!g.won) return { won: false, holder: seen.owner, contended: true };
    try {
      if (inspect(path)?.key === seen.key) {
        if (depth === 0) log?.warn({ holder: seen.owner }, "taking over the lock of a dead process");
        const swap = `${tmp}.${depth}`;
        linkSync(tmp, swap);
        renameSync(swap, path);
        return { won: true };
      }
    } finally {
      unlinkQuiet(guard);
    }
  }
}

/** A holder that cannot be running: its pid is dead (or reused) on this host, or the file holds no owner at all. */
function takeable(owner: LockOwner | undefined, host: string): boolean {
  if (!owner) return true; // written and fsynced before it became the lock: only a damaged file reads as nothing
  return owner.host === host && !isAlive(owner.pid, owner.pidStart);
}

function inspect(path: string): Seen | undefined {
  let raw: string;
  let ino: bigint;
  try {
    ino = statSync(path, { bigint: true }).ino;
    raw = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return { key: createHash("sha256").update(`${ino}\n${raw}`).digest("hex").slice(0, 20), owner: parseOwner(raw) };
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const v = JSON.parse(raw) as LockOwner;
    return typeof v?.pid === "number" && typeof v.host === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `.<lock>.<pid>.<random>.tmp` beside the lock, created exclusively, complete and fsynced. */
function writeTemp(file: string, owner: LockOwner): string {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, JSON.stringify(owner));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/** Temp names a dead process left (a crash between writing and linking them). */
function sweepTemps(dir: string): void {
  for (const n of readdirSync(dir)) {
    const pid = /^\..+\.(\d+)\.[0-9a-f]+\.tmp(\.\d+)?$/.exec(n)?.[1];
    if (pid && !pidExists(Number(pid))) unlinkQuiet(join(dir, n));
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function busy(holder: Owner | undefined, waitMs: number | undefined): BusyError {
  const who = holder
    ? `pid ${holder.pid} on ${holder.host} (\`${holder.command}\`, since ${holder.startedAt})`
    : "another process";
  return new BusyError(
    `the repository is busy: locked by ${who}`,
    waitMs
      ? "It did not finish in time; try again later or raise --wait."
      : "Wait for it to finish, or pass --wait 10m to queue behind it.",
  );
}
