import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FleetCache } from "./fleet-cache";
import { TargetHistory } from "./target-history";
import { Verifications } from "./verifications";
import { Catalog } from "./catalog";
import { isAlive, type Owner } from "./process-info";

export type RunStatus = "running" | "succeeded" | "partial" | "failed" | "interrupted" | "skipped";
export type RunKind = "backup" | "sync" | "restore" | "verify" | "prune" | "recover";

export interface RunRow {
  id: number;
  kind: RunKind;
  trigger: string;
  /** The schedule job that started it (backup, backup:NAME, sync, verify, prune). */
  job?: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  error?: string;
  /** The process that ran it (its log lines carry the same pid). */
  pid?: number;
  /** The stack a run was about when it is not a backup (a restore): backups list theirs in run_stacks. */
  stack?: string;
}

export interface StackResultRow {
  runId: number;
  stack: string;
  status: "succeeded" | "partial" | "failed" | "skipped" | "interrupted";
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
CREATE TABLE IF NOT EXISTS overdue_notified (stack TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending_deletions (
  snapshot_id TEXT PRIMARY KEY,
  short_id TEXT NOT NULL,
  stack TEXT,
  host TEXT NOT NULL,
  time TEXT NOT NULL,
  reason TEXT NOT NULL,
  due_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;

/** A snapshot chosen to free space, announced, and forgotten once due unless cancelled. */
export interface PendingDeletion {
  snapshotId: string;
  shortId: string;
  stack?: string;
  host: string;
  /** The snapshot's own time. */
  time: string;
  reason: string;
  dueAt: string;
  createdAt: string;
}

export interface RunFilter {
  limit?: number;
  kind?: RunKind;
  /** Runs that backed up (or tried) or restored this stack. */
  stack?: string;
  /** ISO time: runs started at or after it. */
  since?: string;
  job?: string;
}

/** The SQLite state store (node:sqlite): run history with its status lifecycle. */
export class StateStore {
  /** The snapshot catalog lives in the same database. */
  readonly catalog: Catalog;
  /** What verify found, per repository and per stack. */
  readonly verifications: Verifications;
  /** The tamper alarm's memory: what each sync target held, what this host forgot, the alarms. */
  readonly targets: TargetHistory;
  /** Other hosts' published status documents, by snapshot id (status --fleet). */
  readonly fleet: FleetCache;
  private constructor(private readonly db: DatabaseSync) {
    this.catalog = new Catalog(db, () => this.bytesAddedBySnapshot());
    this.verifications = new Verifications(db);
    this.targets = new TargetHistory(db);
    this.fleet = new FleetCache(db);
  }

  /** Opens (or creates) the database; SQLite's error as it is (see openStateStore for a damaged one). ":memory:": none on disk. */
  static open(file: string): StateStore {
    const memory = file === ":memory:";
    if (!memory) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const db = new DatabaseSync(file, { timeout: 5000 });
    try {
      if (!memory) chmodSync(file, 0o600);
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
      // One writer at a time: processes starting together (boot) must not both add a column.
      db.exec("BEGIN IMMEDIATE");
      try {
        db.exec(SCHEMA);
        // Added after the first release: databases made before it gain the column.
        const columns = (db.prepare("PRAGMA table_info(runs)").all() as Array<{ name: string }>).map((c) => c.name);
        if (!columns.includes("job"))
          db.exec("ALTER TABLE runs ADD COLUMN job TEXT; CREATE INDEX IF NOT EXISTS runs_job ON runs(job, id);");
        if (!columns.includes("stack")) db.exec("ALTER TABLE runs ADD COLUMN stack TEXT;");
        db.exec("COMMIT");
      } catch (err) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw err;
      }
    } catch (err) {
      db.close();
      throw err;
    }
    return new StateStore(db);
  }

  private scheduledJob: string | undefined;

  /** Runs this process starts from now on were started by that schedule job (trigger "scheduled"). */
  setScheduledJob(job: string): void {
    this.scheduledJob = job;
  }

  /** The schedule job this process runs for, if any. */
  currentJob(): string | undefined {
    return this.scheduledJob;
  }

  /** `o.stack`: the stack a restore (or another single-stack run that records no stack results) is about. */
  startRun(kind: RunKind, trigger: string, owner: Owner, o: { stack?: string } = {}): number {
    const job = this.scheduledJob;
    const r = this.db
      .prepare(
        "INSERT INTO runs (kind, trigger, job, status, started_at, pid, pid_start, host, stack) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
      )
      .run(
        kind,
        job ? "scheduled" : trigger,
        job ?? null,
        new Date().toISOString(),
        owner.pid,
        owner.pidStart ?? null,
        owner.host,
        o.stack ?? null,
      );
    return Number(r.lastInsertRowid);
  }

  /** Stacks whose overdue notification went out (cleared once they catch up): one per episode. */
  overdueNotified(): Set<string> {
    return new Set(
      (this.db.prepare("SELECT stack FROM overdue_notified").all() as Array<{ stack: string }>).map((r) => r.stack),
    );
  }

  setOverdueNotified(stacks: string[], on: boolean): void {
    const now = new Date().toISOString();
    for (const s of stacks) {
      if (on) this.db.prepare("INSERT OR REPLACE INTO overdue_notified (stack, at) VALUES (?, ?)").run(s, now);
      else this.db.prepare("DELETE FROM overdue_notified WHERE stack = ?").run(s);
    }
  }

  addPending(rows: PendingDeletion[]): void {
    const ins = this.db.prepare(
      "INSERT OR REPLACE INTO pending_deletions (snapshot_id, short_id, stack, host, time, reason, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    for (const r of rows)
      ins.run(r.snapshotId, r.shortId, r.stack ?? null, r.host, r.time, r.reason, r.dueAt, r.createdAt);
  }

  /** Pending deletions, soonest due first. */
  pendingDeletions(): PendingDeletion[] {
    return (
      this.db.prepare("SELECT * FROM pending_deletions ORDER BY due_at, time").all() as Array<Record<string, unknown>>
    ).map((r) => ({
      snapshotId: String(r.snapshot_id),
      shortId: String(r.short_id),
      stack: (r.stack as string | null) ?? undefined,
      host: String(r.host),
      time: String(r.time),
      reason: String(r.reason),
      dueAt: String(r.due_at),
      createdAt: String(r.created_at),
    }));
  }

  /** Cancels these pending deletions (ids or prefixes), or all of them; returns how many. */
  cancelPending(ids?: string[]): number {
    if (!ids) return Number(this.db.prepare("DELETE FROM pending_deletions").run().changes);
    let n = 0;
    for (const id of ids)
      n += Number(this.db.prepare("DELETE FROM pending_deletions WHERE snapshot_id LIKE ?").run(`${id}%`).changes);
    return n;
  }

  /** A run that did not start (its previous run was still going, too little space): recorded, never silent. */
  recordSkipped(kind: RunKind, job: string | undefined, reason: string, owner: Owner): number {
    const now = new Date().toISOString();
    const r = this.db
      .prepare(
        "INSERT INTO runs (kind, trigger, job, status, started_at, finished_at, pid, pid_start, host, error) VALUES (?, ?, ?, 'skipped', ?, ?, ?, ?, ?, ?)",
      )
      .run(
        kind,
        job ? "scheduled" : "manual",
        job ?? null,
        now,
        now,
        owner.pid,
        owner.pidStart ?? null,
        owner.host,
        reason,
      );
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, status: RunStatus, exitCode: number, error?: string, summary?: unknown): void {
    this.db
      .prepare("UPDATE runs SET status = ?, finished_at = ?, exit_code = ?, error = ?, summary = ? WHERE id = ?")
      .run(
        status,
        new Date().toISOString(),
        exitCode,
        error ?? null,
        summary === undefined ? null : JSON.stringify(summary),
        id,
      );
  }

  recordStack(r: StackResultRow): void {
    this.db
      .prepare(
        `INSERT INTO run_stacks (run_id, stack, status, started_at, duration_ms, downtime_ms, bytes_added, files_new, files_changed, snapshot_id, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.runId,
        r.stack,
        r.status,
        r.startedAt,
        r.durationMs,
        r.downtimeMs,
        r.bytesAdded ?? null,
        r.filesNew ?? null,
        r.filesChanged ?? null,
        r.snapshotId ?? null,
        r.error ?? null,
      );
  }

  /** Runs left "running" by a process that is gone become "interrupted". */
  markDeadRunsInterrupted(host: string): number {
    const rows = this.db.prepare("SELECT id, pid, pid_start, host FROM runs WHERE status = 'running'").all() as Array<{
      id: number;
      pid: number;
      pid_start: string | null;
      host: string;
    }>;
    let n = 0;
    for (const row of rows) {
      if (row.host === host && !isAlive(row.pid, row.pid_start ?? undefined)) {
        this.db
          .prepare("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ?")
          .run(new Date().toISOString(), row.id);
        n++;
      }
    }
    return n;
  }

  recentRuns(limit = 20, kind?: RunKind): RunRow[] {
    return this.runs({ limit, kind });
  }

  /** Newest first, filtered. */
  runs(f: RunFilter = {}): RunRow[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (f.kind) where.push("kind = ?"), params.push(f.kind);
    if (f.job) where.push("job = ?"), params.push(f.job);
    if (f.since) where.push("started_at >= ?"), params.push(f.since);
    if (f.stack)
      where.push("(stack = ? OR id IN (SELECT run_id FROM run_stacks WHERE stack = ?))"), params.push(f.stack, f.stack);
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, f.limit ?? 20) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      kind: r.kind as RunKind,
      trigger: String(r.trigger),
      job: (r.job as string | null) ?? undefined,
      status: r.status as RunStatus,
      startedAt: String(r.started_at),
      finishedAt: (r.finished_at as string | null) ?? undefined,
      exitCode: (r.exit_code as number | null) ?? undefined,
      error: (r.error as string | null) ?? undefined,
      pid: (r.pid as number | null) ?? undefined,
      stack: (r.stack as string | null) ?? undefined,
    }));
  }

  /** Every stack a recorded run named (backed up, restored), sorted. */
  stackNames(): string[] {
    const rows = this.db
      .prepare("SELECT stack FROM run_stacks UNION SELECT stack FROM runs WHERE stack IS NOT NULL ORDER BY stack")
      .all() as Array<{ stack: string }>;
    return rows.map((r) => r.stack);
  }

  stackResults(runId: number): StackResultRow[] {
    return (
      this.db.prepare("SELECT * FROM run_stacks WHERE run_id = ? ORDER BY rowid").all(runId) as Array<
        Record<string, unknown>
      >
    ).map(toStackRow);
  }

  /** What each recorded stack backup added to the repository (hot pass included), by its snapshot id. */
  bytesAddedBySnapshot(): Map<string, number> {
    const rows = this.db
      .prepare(
        "SELECT snapshot_id, bytes_added FROM run_stacks WHERE snapshot_id IS NOT NULL AND bytes_added IS NOT NULL",
      )
      .all() as Array<{ snapshot_id: string; bytes_added: number }>;
    return new Map(rows.map((r) => [r.snapshot_id, Number(r.bytes_added)]));
  }

  /** The newest result per stack, and the newest successful one. */
  lastBackups(): Map<string, { last: StackResultRow; lastGood?: StackResultRow }> {
    const out = new Map<string, { last: StackResultRow; lastGood?: StackResultRow }>();
    // Backups only: a dump restore records its stack too (history --stack finds it), but it is no backup.
    const rows = this.db
      .prepare(
        "SELECT * FROM run_stacks WHERE run_id IN (SELECT id FROM runs WHERE kind = 'backup') ORDER BY started_at DESC",
      )
      .all() as Array<Record<string, unknown>>;
    for (const raw of rows) {
      const row = toStackRow(raw);
      const cur = out.get(row.stack);
      if (!cur)
        out.set(row.stack, {
          last: row,
          lastGood: row.status === "succeeded" || row.status === "partial" ? row : undefined,
        });
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
