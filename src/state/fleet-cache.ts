import type { DatabaseSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_status (
  snapshot_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  document TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fleet_events (key TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * Published status documents read from the repository, by snapshot id: a snapshot never changes,
 * so a warm `status --fleet` lists the status snapshots and reads none of them again.
 */
export class FleetCache {
  constructor(private readonly db: DatabaseSync) {
    db.exec(SCHEMA);
  }

  get(snapshotId: string): string | undefined {
    const row = this.db.prepare("SELECT document FROM fleet_status WHERE snapshot_id = ?").get(snapshotId) as
      | { document: string }
      | undefined;
    return row?.document;
  }

  put(snapshotId: string, host: string, document: string): void {
    this.db
      .prepare("INSERT OR REPLACE INTO fleet_status (snapshot_id, host, document) VALUES (?, ?, ?)")
      .run(snapshotId, host, document);
  }

  /** Keeps the documents of these snapshots only (each host's newest): the cache does not grow. */
  keepOnly(snapshotIds: string[]): void {
    const keep = new Set(snapshotIds);
    const rows = this.db.prepare("SELECT snapshot_id FROM fleet_status").all() as Array<{ snapshot_id: string }>;
    const del = this.db.prepare("DELETE FROM fleet_status WHERE snapshot_id = ?");
    for (const r of rows) if (!keep.has(r.snapshot_id)) del.run(r.snapshot_id);
  }

  /** Whether this host has dealt with a fleet event (told about it, or seen another host claim it). */
  seen(key: string): boolean {
    return !!this.db.prepare("SELECT 1 FROM fleet_events WHERE key = ?").get(key);
  }

  markSeen(keys: string[], at: string): void {
    const insert = this.db.prepare("INSERT OR IGNORE INTO fleet_events (key, at) VALUES (?, ?)");
    for (const k of keys) insert.run(k, at);
  }
}
