import { readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { ConfigError } from "../errors";

/** A user's name from /etc/passwd (or "uid N" when it has none there). */
export function userName(uid: number): string {
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === String(uid));
    if (line) return line.split(":")[0];
  } catch {
    // no passwd file (a minimal container)
  }
  return `uid ${uid}`;
}

/** What is wrong with a state directory owned by `owner` for user `uid` (message and fix); undefined when it is theirs. */
export function stateDirOwnerProblem(
  dir: string,
  owner: number,
  uid: number,
): { message: string; hint: string } | undefined {
  if (owner === uid) return undefined;
  const me = uid === process.getuid?.() ? userInfo().username : userName(uid);
  return {
    message: `the state directory ${dir} is owned by ${userName(owner)} (uid ${owner}), not by ${me} (uid ${uid}) who runs backup-tui: its journals and locks cannot be trusted`,
    hint: `If that directory is meant for ${me}, check what is in it and take it over: \`chown -R ${uid} ${dir}\`. Otherwise point BACKUP_TUI_STATE_DIR at a directory of your own.`,
  };
}

/**
 * The state directory decides what we delete and kill (journals name paths and process groups
 * to clean up): one owned by another user could make us act on that user's say. Refused with
 * exit 78, naming the directory, its owner and the fix.
 */
export function assertOwnStateDir(dir: string, uid: number | undefined = process.getuid?.()): void {
  if (uid === undefined) return; // no uids on this platform
  const problem = stateDirOwnerProblem(dir, statSync(dir).uid, uid);
  if (problem) throw new ConfigError(problem.message, problem.hint);
}
