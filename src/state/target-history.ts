import type { DatabaseSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS target_seen (
  target TEXT NOT NULL,
  snapshot_id TEXT NOT NULL,
  PRIMARY KEY (target, snapshot_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS target_sync (
  target TEXT PRIMARY KEY,
  at TEXT NOT NULL,
  bytes INTEGER,
  files INTEGER,
  location TEXT
);
CREATE TABLE IF NOT EXISTS forgotten_snapshots (
  snapshot_id TEXT PRIMARY KEY,
  at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS forgotten_snapshots_at ON forgotten_snapshots(at);
CREATE TABLE IF NOT EXISTS target_alarms (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target TEXT NOT NULL,
  raised_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  message TEXT NOT NULL,
  missing TEXT NOT NULL,
  detail TEXT,
  acknowledged_at TEXT,
  acknowledged_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS target_alarms_active ON target_alarms(target) WHERE acknowledged_at IS NULL;
CREATE TABLE IF NOT EXISTS target_probe (
  target TEXT PRIMARY KEY,
  location TEXT NOT NULL,
  verdict TEXT NOT NULL,
  detail TEXT NOT NULL,
  at TEXT NOT NULL
);
`;

/** What this host saw at a target after its last good sync. */
export interface TargetSeen {
  ids: Set<string>;
  /** When that sync ended. */
  at: string;
  /** The remote's size and file count then, when the sync measured them. */
  bytes?: number;
  files?: number;
  /** Where the target was then (remote:path or the repository, masked); a target moved elsewhere starts anew. */
  location?: string;
}

/** A target that lost what this host did not forget: active until acknowledged, kept after as history. */
export interface TargetAlarm {
  id: number;
  target: string;
  /** When it was first raised (a second raise while active keeps it, and sets updatedAt). */
  raisedAt: string;
  updatedAt: string;
  /** The user's sentence ("the copy at offsite lost 12 snapshots you did not forget (…)"). */
  message: string;
  missing: string[];
  detail?: Record<string, unknown>;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
}

/** The last immutability probe of a target (doctor): can this host destroy the copy there? */
export interface TargetProbe {
  location: string;
  verdict: string;
  detail: string;
  at: string;
}

export interface TargetHistoryLimits {
  /** Forgotten ids older than this are dropped (default two years). */
  keepForgottenMs?: number;
  /** At most this many forgotten ids are kept, the newest (default 200,000). */
  maxForgotten?: number;
}

const TWO_YEARS_MS = 2 * 366 * 24 * 3600 * 1000;

/**
 * The tamper alarm's memory: per sync target the snapshot ids seen there after the last good
 * sync (with the remote's size), the snapshots this host forgot itself, and the alarms raised
 * when a target lost others.
 */
export class TargetHistory {
  private readonly keepForgottenMs: number;
  private readonly maxForgotten: number;

  constructor(
    private readonly db: DatabaseSync,
    limits: TargetHistoryLimits = {},
  ) {
    db.exec(SCHEMA);
    // Added after the first release of this table: databases made before it gain the column.
    const columns = (db.prepare("PRAGMA table_info(target_sync)").all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes("location")) db.exec("ALTER TABLE target_sync ADD COLUMN location TEXT");
    this.keepForgottenMs = limits.keepForgottenMs ?? TWO_YEARS_MS;
    this.maxForgotten = limits.maxForgotten ?? 200_000;
  }

  /** What the last good sync saw at the target; undefined before the first. */
  seen(target: string): TargetSeen | undefined {
    const row = this.db.prepare("SELECT at, bytes, files, location FROM target_sync WHERE target = ?").get(target) as
      | { at: string; bytes: number | null; files: number | null; location: string | null }
      | undefined;
    if (!row) return undefined;
    const ids = this.db.prepare("SELECT snapshot_id FROM target_seen WHERE target = ?").all(target) as Array<{
      snapshot_id: string;
    }>;
    return {
      ids: new Set(ids.map((r) => r.snapshot_id)),
      at: row.at,
      bytes: row.bytes ?? undefined,
      files: row.files ?? undefined,
      ...(row.location === null ? {} : { location: row.location }),
    };
  }

  /** After a good sync: the target's snapshot ids (replacing the last set) and its size, in one transaction. */
  recordSeen(
    target: string,
    ids: Iterable<string>,
    o: { bytes?: number; files?: number; at: string; location?: string },
  ): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM target_seen WHERE target = ?").run(target);
      const insert = this.db.prepare("INSERT OR IGNORE INTO target_seen (target, snapshot_id) VALUES (?, ?)");
      for (const id of ids) insert.run(target, id);
      this.db
        .prepare("INSERT OR REPLACE INTO target_sync (target, at, bytes, files, location) VALUES (?, ?, ?, ?, ?)")
        .run(target, o.at, o.bytes ?? null, o.files ?? null, o.location ?? null);
    });
  }

  /** Snapshots this host forgot or deleted (after restic did it); the oldest beyond the limits are dropped. */
  recordForgotten(ids: Iterable<string>, at: string): void {
    this.transaction(() => {
      const insert = this.db.prepare("INSERT OR REPLACE INTO forgotten_snapshots (snapshot_id, at) VALUES (?, ?)");
      for (const id of ids) insert.run(id, at);
      const cutoff = new Date(Date.parse(at) - this.keepForgottenMs).toISOString();
      this.db.prepare("DELETE FROM forgotten_snapshots WHERE at < ?").run(cutoff);
      const { n } = this.db.prepare("SELECT COUNT(*) AS n FROM forgotten_snapshots").get() as { n: number };
      if (n > this.maxForgotten)
        this.db
          .prepare(
            "DELETE FROM forgotten_snapshots WHERE snapshot_id IN (SELECT snapshot_id FROM forgotten_snapshots ORDER BY at LIMIT ?)",
          )
          .run(n - this.maxForgotten);
    });
  }

  /** The ids this host forgot: all it remembers, or those among `ids`. */
  forgotten(ids?: Iterable<string>): Set<string> {
    if (!ids) {
      const rows = this.db.prepare("SELECT snapshot_id FROM forgotten_snapshots").all() as Array<{
        snapshot_id: string;
      }>;
      return new Set(rows.map((r) => r.snapshot_id));
    }
    const out = new Set<string>();
    const get = this.db.prepare("SELECT 1 AS hit FROM forgotten_snapshots WHERE snapshot_id = ?");
    for (const id of ids) if (get.get(id)) out.add(id);
    return out;
  }

  /** Raises the target's alarm; while one is active, a second raise updates it (message, missing, detail). */
  raise(
    target: string,
    a: { at: string; message: string; missing: string[]; detail?: Record<string, unknown> },
  ): TargetAlarm {
    const missing = JSON.stringify(a.missing);
    const detail = a.detail === undefined ? null : JSON.stringify(a.detail);
    const current = this.active(target)[0];
    if (current)
      this.db
        .prepare("UPDATE target_alarms SET updated_at = ?, message = ?, missing = ?, detail = ? WHERE id = ?")
        .run(a.at, a.message, missing, detail, current.id);
    else
      this.db
        .prepare(
          "INSERT INTO target_alarms (target, raised_at, updated_at, message, missing, detail) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(target, a.at, a.at, a.message, missing, detail);
    return this.active(target)[0]!;
  }

  /** The alarms not acknowledged yet (of one target, or all, by target name). */
  active(target?: string): TargetAlarm[] {
    const rows = (
      target === undefined
        ? this.db.prepare("SELECT * FROM target_alarms WHERE acknowledged_at IS NULL ORDER BY target").all()
        : this.db.prepare("SELECT * FROM target_alarms WHERE acknowledged_at IS NULL AND target = ?").all(target)
    ) as Array<Record<string, unknown>>;
    return rows.map(toAlarm);
  }

  /** Every alarm of the target, acknowledged ones too, newest first. */
  alarms(target: string, limit = 50): TargetAlarm[] {
    return (
      this.db
        .prepare("SELECT * FROM target_alarms WHERE target = ? ORDER BY id DESC LIMIT ?")
        .all(target, limit) as Array<Record<string, unknown>>
    ).map(toAlarm);
  }

  /** Ends the target's active alarm (kept as acknowledged); the alarm, or undefined when none was active. */
  acknowledge(target: string, o: { at: string; by: string }): TargetAlarm | undefined {
    const current = this.active(target)[0];
    if (!current) return undefined;
    this.db
      .prepare("UPDATE target_alarms SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?")
      .run(o.at, o.by, current.id);
    return { ...current, acknowledgedAt: o.at, acknowledgedBy: o.by };
  }

  recordProbe(target: string, p: TargetProbe): void {
    this.db
      .prepare("INSERT OR REPLACE INTO target_probe (target, location, verdict, detail, at) VALUES (?, ?, ?, ?, ?)")
      .run(target, p.location, p.verdict, p.detail, p.at);
  }

  probe(target: string): TargetProbe | undefined {
    return this.db.prepare("SELECT location, verdict, detail, at FROM target_probe WHERE target = ?").get(target) as
      | TargetProbe
      | undefined;
  }

  /** A savepoint: its own transaction, or a part of the caller's. */
  private transaction(work: () => void): void {
    this.db.exec("SAVEPOINT target_history");
    try {
      work();
      this.db.exec("RELEASE target_history");
    } catch (err) {
      this.db.exec("ROLLBACK TO target_history; RELEASE target_history");
      throw err;
    }
  }
}

function toAlarm(r: Record<string, unknown>): TargetAlarm {
  return {
    id: Number(r.id),
    target: String(r.target),
    raisedAt: String(r.raised_at),
    updatedAt: String(r.updated_at),
    message: String(r.message),
    missing: JSON.parse(String(r.missing)) as string[],
    detail:
      r.detail === null || r.detail === undefined
        ? undefined
        : (JSON.parse(String(r.detail)) as Record<string, unknown>),
    acknowledgedAt: (r.acknowledged_at as string | null) ?? undefined,
    acknowledgedBy: (r.acknowledged_by as string | null) ?? undefined,
  };
}
