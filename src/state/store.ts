import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Catalog } from "./catalog";
import { isAlive, type Owner } from "./process-info";

export type RunStatus = "running" | "succeeded" | "partial" | "failed" | "interrupted";
export type RunKind = "backup" | "sync" | "restore" | "verify" | "prune" | "recover";

export interface RunRow {
  id: number;
  kind: RunKind;
  trigger: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  error?: string;
}

export interface StackResultRow {
  runId: number;
  stack: string;
  status: "succeeded" | "partial" | "failed" | "skipped";
  startedAt: string;
  durationMs: number;
  downtimeMs: number;
  bytesAdded?: number;
  filesNew?: number;
  filesChanged?: number;
  snapshotId?: string;
  error?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  trigger TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  pid INTEGER,
  pid_start TEXT,
  host TEXT,
  exit_code INTEGER,
  error TEXT,
  summary TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS run_stacks (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  stack TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  downtime_ms INTEGER NOT NULL,
  bytes_added INTEGER,
  files_new INTEGER,
  files_changed INTEGER,
  snapshot_id TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS run_stacks_stack ON run_stacks(stack, started_at);
`;

/** The SQLite state store (node:sqlite): run history with its status lifecycle. */
export class StateStore {
  /** The snapshot catalog lives in the same database. */
  readonly catalog: Catalog;
  private constructor(private readonly db: DatabaseSync) {
    this.catalog = new Catalog(db);
  }

  static open(file: string): StateStore {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const db = new DatabaseSync(file, { timeout: 5000 });
    chmodSync(file, 0o600);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    db.exec(SCHEMA);
    return new StateStore(db);
  }

  startRun(kind: RunKind, trigger: string, owner: Owner): number {
    const r = this.db
      .prepare("INSERT INTO runs (kind, trigger, status, started_at, pid, pid_start, host) VALUES (?, ?, 'running', ?, ?, ?, ?)")
      .run(kind, trigger, new Date().toISOString(), owner.pid, owner.pidStart ?? null, owner.host);
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, status: RunStatus, exitCode: number, error?: string, summary?: unknown): void {
    this.db
      .prepare("UPDATE runs SET status = ?, finished_at = ?, exit_code = ?, error = ?, summary = ? WHERE id = ?")
      .run(status, new Date().toISOString(), exitCode, error ?? null, summary === undefined ? null : JSON.stringify(summary), id);
  }

  recordStack(r: StackResultRow): void {
    this.db
      .prepare(
        `INSERT INTO run_stacks (run_id, stack, status, started_at, duration_ms, downtime_ms, bytes_added, files_new, files_changed, snapshot_id, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.runId, r.stack, r.status, r.startedAt, r.durationMs, r.downtimeMs, r.bytesAdded ?? null, r.filesNew ?? null, r.filesChanged ?? null, r.snapshotId ?? null, r.error ?? null);
  }

  /** Runs left "running" by a process that is gone become "interrupted". */
  markDeadRunsInterrupted(host: string): number {
    const rows = this.db.prepare("SELECT id, pid, pid_start, host FROM runs WHERE status = 'running'").all() as Array<{ id: number; pid: number; pid_start: string | null; host: string }>;
    let n = 0;
    for (const row of rows) {
      if (row.host === host && !isAlive(row.pid, row.pid_start ?? undefined)) {
        this.db.prepare("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ?").run(new Date().toISOString(), row.id);
        n++;
      }
    }
    return n;
  }

  recentRuns(limit = 20, kind?: RunKind): RunRow[] {
    const rows = (kind
      ? this.db.prepare("SELECT * FROM runs WHERE kind = ? ORDER BY id DESC LIMIT ?").all(kind, limit)
      : this.db.prepare("SELECT * FROM runs ORDER BY id DESC LIMIT ?").all(limit)) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind as RunKind,
      trigger: String(r.trigger),
      status: r.status as RunStatus,
      startedAt: String(r.started_at),
      finishedAt: (r.finished_at as string | null) ?? undefined,
      exitCode: (r.exit_code as number | null) ?? undefined,
      error: (r.error as string | null) ?? undefined,
    }));
  }

  stackResults(runId: number): StackResultRow[] {
    return (this.db.prepare("SELECT * FROM run_stacks WHERE run_id = ? ORDER BY rowid").all(runId) as Array<Record<string, unknown>>).map(toStackRow);
  }

  /** The newest result per stack, and the newest successful one. */
  lastBackups(): Map<string, { last: StackResultRow; lastGood?: StackResultRow }> {
    const out = new Map<string, { last: StackResultRow; lastGood?: StackResultRow }>();
    const rows = this.db.prepare("SELECT * FROM run_stacks ORDER BY started_at DESC").all() as Array<Record<string, unknown>>;
    for (const raw of rows) {
      const row = toStackRow(raw);
      const cur = out.get(row.stack);
      if (!cur) out.set(row.stack, { last: row, lastGood: row.status === "succeeded" || row.status === "partial" ? row : undefined });
      else if (!cur.lastGood && (row.status === "succeeded" || row.status === "partial")) cur.lastGood = row;
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

function toStackRow(r: Record<string, unknown>): StackResultRow {
  const opt = <T>(v: unknown) => (v === null || v === undefined ? undefined : (v as T));
  return {
    runId: Number(r.run_id),
    stack: String(r.stack),
    status: r.status as StackResultRow["status"],
    startedAt: String(r.started_at),
    durationMs: Number(r.duration_ms),
    downtimeMs: Number(r.downtime_ms),
    bytesAdded: opt<number>(r.bytes_added),
    filesNew: opt<number>(r.files_new),
    filesChanged: opt<number>(r.files_changed),
    snapshotId: opt<string>(r.snapshot_id),
    error: opt<string>(r.error),
  };
}
