import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { btui } from "../command-hint";
import { AppError, ExitCode, errorMessage } from "../errors";
import { damageOf, markerOf, rememberOpened } from "./store-damage";
import { withLockSync } from "./lock";
import { currentOwner } from "./process-info";
import { StateStore } from "./store";

/** The state database could not be opened for a reason that is not damage (permissions, a read-only disk...). */
export class StoreUnavailableError extends AppError {}

/**
 * Opens the state database. A damaged one (not a database, or malformed) is renamed
 * FILE.corrupt-<time> (with its -wal and -shm) and a fresh one created; onSetAside says it once.
 * Done under a short lock, so processes starting together (boot) set it aside only once.
 * Anything else that keeps it from opening is a StoreUnavailableError naming the file and the fix.
 */
export function openStateStore(file: string, o: { onSetAside?: (message: string) => void } = {}): StateStore {
  let first: StateStore | { damaged: string } | StoreUnavailableError;
  try {
    first = attempt(file);
  } catch (err) {
    // Possibly another process setting it aside right now: once more, after it, under the lock.
    if (!(err instanceof StoreUnavailableError)) throw err;
    first = err;
  }
  if (first instanceof StateStore) return remember(file, first);
  const owner = currentOwner(hostname(), "backup-tui (setting a damaged state database aside)");
  try {
    return withLockSync(dirname(file), "state.db", owner, () => setAside(file, o));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw first instanceof StoreUnavailableError ? first : unavailable(file, err); // not even the lock could be written
  }
}

/** Under the lock: a damaged database (still damaged: another process may have done it meanwhile) renamed, a fresh one made. */
function setAside(file: string, o: { onSetAside?: (message: string) => void }): StateStore {
  const again = attempt(file);
  if (again instanceof StateStore) return remember(file, again);
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  // The WAL and its index first: a process that opens the path once the database is gone creates
  // its own, which must stay where they are.
  for (const ext of ["-wal", "-shm", ""]) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
  rmSync(markerOf(file), { force: true });
  const store = attempt(file);
  if (!(store instanceof StateStore)) throw unavailable(file, new Error(store.damaged));
  o.onSetAside?.(
    `the state database ${file} was damaged (${again.damaged}): it was set aside as ${aside} and a fresh one created. ` +
      "Run history starts over; the snapshot catalog refills from the repository.",
  );
  return remember(file, store);
}

function remember(file: string, store: StateStore): StateStore {
  rememberOpened(file);
  return store;
}

function attempt(file: string): StateStore | { damaged: string } {
  try {
    const mark = readFileSync(markerOf(file), "utf8").trim();
    return { damaged: mark || "damaged" };
  } catch {
    // no marker: open it
  }
  try {
    return StateStore.open(file);
  } catch (err) {
    const damaged = damageOf(err);
    if (damaged) return { damaged };
    throw unavailable(file, err);
  }
}

function unavailable(file: string, err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `the state database ${file} cannot be opened: ${errorMessage(err)}`,
    ExitCode.failed,
    `Check that ${file} is a file owned by this user and that its filesystem is writable (set BACKUP_TUI_STATE_DIR to use another directory). \`${btui("recover")}\` still works without it, from the stop journal.`,
  );
}
