import { writeFileSync } from "node:fs";
import { AppError, ExitCode } from "../errors";

/** Every state database this process opened: a damage found later marks them (see stateDamage). */
const opened = new Set<string>();

export function rememberOpened(file: string): void {
  if (file !== ":memory:") opened.add(file);
}

/** Beside the database: "set it aside at the next open", with SQLite's words. */
export function markerOf(file: string): string {
  return `${file}.damaged`;
}

/** SQLite's words when err says the database is damaged: SQLITE_CORRUPT (11), SQLITE_NOTADB (26), extended codes included. */
export function damageOf(err: unknown): string | undefined {
  // Followed through causes: a service may wrap it ("restore failed: ...").
  for (
    let e = err as SqliteError | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as SqliteError | undefined, depth++
  ) {
    if (e.code === "ERR_SQLITE_ERROR" && typeof e.errcode === "number" && [11, 26].includes(e.errcode & 0xff))
      return e.errstr ?? e.message ?? "damaged";
  }
  return undefined;
}

type SqliteError = { code?: string; errcode?: number; errstr?: string; message?: string; cause?: unknown };

/**
 * A SQLite error saying the database is damaged, found after it opened: every database this
 * process opened is marked, so the next run sets it aside. The error to show instead of an internal one.
 */
export function stateDamage(err: unknown): AppError | undefined {
  const damaged = damageOf(err);
  if (!damaged || !opened.size) return undefined;
  for (const file of opened) {
    try {
      writeFileSync(markerOf(file), `${damaged}\n`, { mode: 0o600 });
    } catch {
      // nowhere to write: the next open finds the damage itself, or this error repeats
    }
  }
  return new AppError(
    `the state database ${[...opened].join(", ")} is damaged (${damaged})`,
    ExitCode.failed,
    "The next run sets it aside (renamed .corrupt-<time>) and starts a fresh one: run the command again.",
  );
}
