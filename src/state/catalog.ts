import type { DatabaseSync } from "node:sqlite";
import type { LsNode, Snapshot } from "../restic/json";

export interface CatalogSnapshot {
  id: string;
  shortId: string;
  time: string;
  host: string;
  stack?: string;
  kind?: string;
  tags: string[];
  paths: string[];
  parent?: string;
  protected: boolean;
  dataAdded?: number;
  totalBytes?: number;
  indexed: boolean;
  /** The id this snapshot was copied or rewritten from (restic's `original`). */
  original?: string;
}

export interface SnapshotFilter {
  stack?: string;
  host?: string;
  tag?: string;
  since?: string;
  until?: string;
  /** Newest N per stack and host (default: all). */
  latestPerStack?: number;
  includeHot?: boolean;
  limit?: number;
  /** With limit: skip this many first (a page of a long listing). */
  offset?: number;
  /** Stacks whose name contains this (case-insensitive). */
  stackContains?: string;
}

export interface CatalogFile {
  snapshotId: string;
  path: string;
  name: string;
  type: string;
  size?: number;
  mtime?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (
  id TEXT PRIMARY KEY,
  short_id TEXT NOT NULL,
  time TEXT NOT NULL,
  host TEXT NOT NULL,
  stack TEXT,
  kind TEXT,
  tags TEXT NOT NULL,
  paths TEXT NOT NULL,
  parent TEXT,
  protected INTEGER NOT NULL DEFAULT 0,
  data_added INTEGER,
  total_bytes INTEGER,
  indexed INTEGER NOT NULL DEFAULT 0,
  original TEXT
);
CREATE INDEX IF NOT EXISTS snapshots_stack_time ON snapshots(stack, time);
CREATE INDEX IF NOT EXISTS snapshots_time ON snapshots(time);
CREATE INDEX IF NOT EXISTS snapshots_group_time ON snapshots(stack, host, time);
CREATE TABLE IF NOT EXISTS snapshot_files (
  snapshot_id TEXT NOT NULL,
  path TEXT NOT NULL,
  parent_dir TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER,
  mtime TEXT,
  PRIMARY KEY (snapshot_id, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS snapshot_files_dir ON snapshot_files(snapshot_id, parent_dir);
CREATE INDEX IF NOT EXISTS snapshot_files_name ON snapshot_files(name);
CREATE TABLE IF NOT EXISTS catalog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot_manifests (snapshot_id TEXT PRIMARY KEY, manifest TEXT NOT NULL) WITHOUT ROWID;
`;

const tagValue = (tags: string[], prefix: string) => tags.find((t) => t.startsWith(prefix))?.slice(prefix.length);

/** The snapshot catalog: restic's snapshot list and (on demand) file trees, queryable without restic. */
export class Catalog {
  /**
   * `runFigures`: bytes each snapshot's backup run added, by snapshot id (the run history's), so a
   * snapshot re-read from restic keeps our figure.
   */
  constructor(
    private readonly db: DatabaseSync,
    private readonly runFigures: () => Map<string, number> = () => new Map(),
  ) {
    db.exec(SCHEMA);
    // Catalogs from before `original` was kept: add the column (restic fills it on the next refresh).
    const cols = db.prepare("PRAGMA table_info(snapshots)").all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === "original")) db.exec("ALTER TABLE snapshots ADD COLUMN original TEXT");
  }

  /**
   * Brings the catalog in line with restic's list: inserts new ids, deletes removed ones, updates tags.
   * ADDED (data_added) is what the backup run added to the repository, hot pass included; restic's
   * summary of a two-pass snapshot holds the final pass only. So a snapshot a run of ours made keeps
   * the run's figure: also when it comes back under a new id (`restic tag`, i.e. protect, rewrites
   * it; `original` names the first id) or into an emptied catalog (the run history still has it).
   * Only snapshots no run of ours recorded show restic's own figure.
   */
  sync(snapshots: Snapshot[]): { added: number; removed: number } {
    const rows = this.db.prepare("SELECT id, tags, original, data_added FROM snapshots").all() as Array<{
      id: string;
      tags: string;
      original: string | null;
      data_added: number | null;
    }>;
    const known = new Map(rows.map((r) => [r.id, `${r.tags}\n${r.original ?? ""}`]));
    const figure = new Map(rows.filter((r) => r.data_added !== null).map((r) => [r.id, Number(r.data_added)]));
    let ours: Map<string, number> | undefined;
    const dataAdded = (s: Snapshot): number | null => {
      ours ??= this.runFigures();
      const ids = [s.id, ...(s.original ? [s.original] : [])];
      for (const from of [ours, figure]) for (const id of ids) if (from.has(id)) return from.get(id)!;
      return s.summary?.data_added ?? null;
    };
    const seen = new Set<string>();
    let added = 0;
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO snapshots (id, short_id, time, host, stack, kind, tags, paths, parent, protected, data_added, total_bytes, original, indexed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT indexed FROM snapshots WHERE id = ?), 0))`,
    );
    this.db.exec("BEGIN");
    try {
      for (const s of snapshots) {
        seen.add(s.id);
        const tags = JSON.stringify(s.tags);
        if (known.get(s.id) === `${tags}\n${s.original ?? ""}`) continue;
        if (!known.has(s.id)) added++;
        insert.run(
          s.id,
          s.short_id ?? s.id.slice(0, 8),
          s.time,
          s.hostname,
          tagValue(s.tags, "stack:") ?? null,
          tagValue(s.tags, "kind:") ?? null,
          tags,
          JSON.stringify(s.paths),
          s.parent ?? null,
          s.tags.includes("protected") ? 1 : 0,
          dataAdded(s),
          s.summary?.total_bytes_processed ?? null,
          s.original ?? null,
          s.id,
        );
      }
      const gone = [...known.keys()].filter((id) => !seen.has(id));
      const del = this.db.prepare("DELETE FROM snapshots WHERE id = ?");
      const delFiles = this.db.prepare("DELETE FROM snapshot_files WHERE snapshot_id = ?");
      const delManifest = this.db.prepare("DELETE FROM snapshot_manifests WHERE snapshot_id = ?");
      for (const id of gone) {
        del.run(id);
        delFiles.run(id);
        delManifest.run(id);
      }
      this.db
        .prepare("INSERT OR REPLACE INTO catalog_meta (key, value) VALUES ('refreshed_at', ?)")
        .run(new Date().toISOString());
      this.db.exec("COMMIT");
      return { added, removed: gone.length };
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Adds snapshots we just made, without asking restic (times are ours, close to restic's). */
  add(snapshots: Snapshot[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO snapshots (id, short_id, time, host, stack, kind, tags, paths, parent, protected, data_added, total_bytes, original, indexed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    );
    for (const s of snapshots) {
      insert.run(
        s.id,
        s.short_id ?? s.id.slice(0, 8),
        s.time,
        s.hostname,
        tagValue(s.tags, "stack:") ?? null,
        tagValue(s.tags, "kind:") ?? null,
        JSON.stringify(s.tags),
        JSON.stringify(s.paths),
        s.parent ?? null,
        s.tags.includes("protected") ? 1 : 0,
        s.summary?.data_added ?? null,
        s.summary?.total_bytes_processed ?? null,
        s.original ?? null,
      );
    }
  }

  /**
   * Ties the catalog to one repository: when the configured repository changed, everything
   * cached about the old one is dropped (it would name parents the new one lacks).
   */
  bindTo(repository: string): boolean {
    const cur = (
      this.db.prepare("SELECT value FROM catalog_meta WHERE key = 'repository'").get() as { value: string } | undefined
    )?.value;
    if (cur === repository) return false;
    this.db.exec(
      "DELETE FROM snapshots; DELETE FROM snapshot_files; DELETE FROM snapshot_manifests; DELETE FROM catalog_meta;",
    );
    this.db.prepare("INSERT INTO catalog_meta (key, value) VALUES ('repository', ?)").run(repository);
    return cur !== undefined;
  }

  /**
   * The manifest.json a snapshot holds, as restic would dump it: kept when the backup wrote it or a
   * restore first read it (a snapshot never changes), so a restore needs no `restic dump`. A copy
   * rewritten by `restic tag` (protect) has a new id: its original's manifest is its own.
   */
  manifest(id: string, original?: string): string | undefined {
    const get = this.db.prepare("SELECT manifest FROM snapshot_manifests WHERE snapshot_id = ?");
    for (const k of original ? [id, original] : [id]) {
      const row = get.get(k) as { manifest: string } | undefined;
      if (row) return row.manifest;
    }
    return undefined;
  }

  setManifest(id: string, manifest: string): void {
    this.db
      .prepare("INSERT OR REPLACE INTO snapshot_manifests (snapshot_id, manifest) VALUES (?, ?)")
      .run(id, manifest);
  }

  /** Forget when the catalog was last read from restic: the next user re-reads it. */
  invalidate(): void {
    this.db.prepare("DELETE FROM catalog_meta WHERE key = 'refreshed_at'").run();
  }

  refreshedAt(): string | undefined {
    return (
      this.db.prepare("SELECT value FROM catalog_meta WHERE key = 'refreshed_at'").get() as
        | { value: string }
        | undefined
    )?.value;
  }

  /** Snapshots per stack (hot ones excluded), in one query. */
  countByStack(): Map<string, number> {
    const rows = this.db
      .prepare(
        "SELECT stack, COUNT(*) AS n FROM snapshots WHERE stack IS NOT NULL AND (kind IS NULL OR kind != 'hot') GROUP BY stack",
      )
      .all() as Array<{ stack: string; n: number }>;
    return new Map(rows.map((r) => [r.stack, Number(r.n)]));
  }

  count(): number {
    return Number((this.db.prepare("SELECT COUNT(*) AS n FROM snapshots").get() as { n: number }).n);
  }

  /** How many snapshots a filter matches, before any newest-N limit (counted by SQLite, no row read). */
  countMatching(f: SnapshotFilter): number {
    const { where, args } = filterSql(f);
    const cond = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return Number((this.db.prepare(`SELECT COUNT(*) AS n FROM snapshots ${cond}`).get(...args) as { n: number }).n);
  }

  /**
   * Newest first. latestPerStack: the newest N of each stack and host, each group read backwards
   * on the (stack, host, time) index: 100,000 snapshots cost what their few groups do.
   */
  list(f: SnapshotFilter = {}): CatalogSnapshot[] {
    const { where, args } = filterSql(f);
    const cond = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const newest = [...where, "stack IS g.stack", "host = g.host"].join(" AND ");
    const sql = f.latestPerStack
      ? `WITH g AS (SELECT DISTINCT stack, host FROM snapshots)
         SELECT s.* FROM g JOIN snapshots s ON s.rowid IN
           (SELECT rowid FROM snapshots WHERE ${newest} ORDER BY time DESC LIMIT ?)
         ORDER BY s.time DESC`
      : `SELECT * FROM snapshots ${cond} ORDER BY time DESC${f.offset === undefined ? "" : ", id DESC"}`;
    if (f.latestPerStack) args.push(f.latestPerStack);
    const limited = f.limit
      ? `${sql} LIMIT ${Math.max(1, Math.floor(f.limit))} OFFSET ${Math.max(0, Math.floor(f.offset ?? 0))}`
      : sql;
    return (this.db.prepare(limited).all(...args) as Array<Record<string, unknown>>).map(toSnapshot);
  }

  /**
   * A snapshot by full id or unique prefix; "latest" resolves within a filter. An id no snapshot
   * has may name the original of one: a `restic copy` in another repository (a copy pulled back
   * from a MODE=restic target keeps the ids the doomsday inventory and notifications named) or a
   * snapshot `restic tag` rewrote.
   */
  resolve(ref: string, f: SnapshotFilter = {}): CatalogSnapshot | undefined {
    if (ref === "latest") return this.list({ ...f, limit: 1 })[0];
    const prefix = `${ref.replace(/[%_]/g, "")}%`;
    for (const column of ["id", "original"]) {
      const rows = this.db
        .prepare(`SELECT * FROM snapshots WHERE ${column} LIKE ? ORDER BY time DESC LIMIT 2`)
        .all(prefix) as Array<Record<string, unknown>>;
      if (rows.length) return rows.length === 1 ? toSnapshot(rows[0]) : undefined;
    }
    return undefined;
  }

  isIndexed(id: string): boolean {
    return !!(this.db.prepare("SELECT indexed FROM snapshots WHERE id = ?").get(id) as { indexed: number } | undefined)
      ?.indexed;
  }

  /** Stores a snapshot's file tree in one transaction, as `produce` streams it (restic ls --json). */
  async index(id: string, produce: (add: (node: LsNode) => void) => Promise<void>): Promise<number> {
    const ins = this.db.prepare(
      "INSERT OR REPLACE INTO snapshot_files (snapshot_id, path, parent_dir, name, type, size, mtime) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    let n = 0;
    this.db.exec("BEGIN");
    try {
      this.db.prepare("DELETE FROM snapshot_files WHERE snapshot_id = ?").run(id);
      await produce((node) => {
        const parent = node.path.slice(0, node.path.lastIndexOf("/")) || "/";
        ins.run(id, node.path, parent, node.name, node.type, node.size ?? null, node.mtime ?? null);
        n++;
      });
      this.db.prepare("UPDATE snapshots SET indexed = 1 WHERE id = ?").run(id);
      this.db.exec("COMMIT");
      return n;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Direct children of a directory in an indexed snapshot. */
  children(id: string, dir: string): CatalogFile[] {
    const d = dir === "/" ? "/" : dir.replace(/\/+$/, "");
    return (
      this.db
        .prepare("SELECT * FROM snapshot_files WHERE snapshot_id = ? AND parent_dir = ? ORDER BY type != 'dir', name")
        .all(id, d) as Array<Record<string, unknown>>
    ).map(toFile);
  }

  file(id: string, path: string): CatalogFile | undefined {
    const r = this.db.prepare("SELECT * FROM snapshot_files WHERE snapshot_id = ? AND path = ?").get(id, path) as
      | Record<string, unknown>
      | undefined;
    return r ? toFile(r) : undefined;
  }

  /** Every entry under a path (inclusive) of an indexed snapshot. */
  tree(id: string, root: string): CatalogFile[] {
    const r = root.replace(/\/+$/, "") || "/";
    return (
      this.db
        .prepare(
          "SELECT * FROM snapshot_files WHERE snapshot_id = ? AND (path = ? OR path LIKE ? ESCAPE '\\') ORDER BY path",
        )
        .all(id, r, `${escapeLike(r === "/" ? "" : r)}/%`) as Array<Record<string, unknown>>
    ).map(toFile);
  }

  /** Files whose name (or, with a '/', path) matches a glob, across indexed snapshots. */
  find(pattern: string, snapshotIds: string[], limit = 1000): CatalogFile[] {
    if (!snapshotIds.length) return [];
    const column = pattern.includes("/") ? "path" : "name";
    const marks = snapshotIds.map(() => "?").join(",");
    return (
      this.db
        .prepare(
          `SELECT * FROM snapshot_files WHERE snapshot_id IN (${marks}) AND ${column} GLOB ? ORDER BY path LIMIT ?`,
        )
        .all(...snapshotIds, pattern, limit) as Array<Record<string, unknown>>
    ).map(toFile);
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A filter as SQL: its conditions (joined by AND) and the values they bind, in order. */
function filterSql(f: SnapshotFilter): { where: string[]; args: Array<string | number> } {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (f.stack) where.push("stack = ?"), args.push(f.stack);
  if (f.stackContains) where.push("instr(lower(stack), ?) > 0"), args.push(f.stackContains.toLowerCase());
  if (f.host) where.push("host = ?"), args.push(f.host);
  if (f.since) where.push("time >= ?"), args.push(f.since);
  if (f.until) where.push("time <= ?"), args.push(f.until);
  if (f.tag) where.push("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)"), args.push(f.tag);
  if (!f.includeHot) where.push("(kind IS NULL OR kind != 'hot')");
  return { where, args };
}

function toSnapshot(r: Record<string, unknown>): CatalogSnapshot {
  const opt = <T>(v: unknown) => (v === null || v === undefined ? undefined : (v as T));
  return {
    id: String(r.id),
    shortId: String(r.short_id),
    time: String(r.time),
    host: String(r.host),
    stack: opt<string>(r.stack),
    kind: opt<string>(r.kind),
    tags: JSON.parse(String(r.tags)),
    paths: JSON.parse(String(r.paths)),
    parent: opt<string>(r.parent),
    protected: Number(r.protected) === 1,
    dataAdded: opt<number>(r.data_added),
    totalBytes: opt<number>(r.total_bytes),
    indexed: Number(r.indexed) === 1,
    original: opt<string>(r.original),
  };
}

function toFile(r: Record<string, unknown>): CatalogFile {
  return {
    snapshotId: String(r.snapshot_id),
    path: String(r.path),
    name: String(r.name),
    type: String(r.type),
    size: r.size === null ? undefined : Number(r.size),
    mtime: r.mtime === null ? undefined : String(r.mtime),
  };
}
