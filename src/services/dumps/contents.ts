import { sha256Lines } from "../../fsops/file-hash";

/**
 * What a dump claims to hold, read from the dump itself when it is made: the databases and,
 * per table, the number of rows in it. Verification loads the dump into a throw-away server
 * and compares the server's counts with these.
 */
export interface DumpContents {
  databases: string[];
  /** "db.schema.table" (PostgreSQL) or "db.table" (MariaDB/MySQL, SQLite "main.table") → rows. */
  tables: Record<string, number>;
}

/** Databases a MariaDB server maintains itself: their contents change on their own after a load. */
const MARIADB_SYSTEM = new Set(["mysql", "sys", "information_schema", "performance_schema"]);

/** Counts the rows of a plain-format pg_dump / pg_dumpall: one line per row inside each COPY block. */
export class PostgresCounter {
  readonly contents: DumpContents = { databases: [], tables: {} };
  private db = "postgres";
  private copying?: string;

  line(l: string): void {
    if (this.copying !== undefined) {
      if (l === "\\.") this.copying = undefined;
      else this.contents.tables[this.copying]++;
      return;
    }
    if (l.startsWith("\\connect ")) {
      this.db = connectTarget(l.slice("\\connect ".length));
      if (!this.contents.databases.includes(this.db)) this.contents.databases.push(this.db);
      return;
    }
    const m = COPY.exec(l);
    if (m) {
      this.copying = `${this.db}.${unquotePg(m[1])}`;
      this.contents.tables[this.copying] ??= 0;
    }
  }
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^\s."]+)`;
const COPY = new RegExp(String.raw`^COPY (${IDENT}(?:\.${IDENT})*) (?:\(.*\) )?FROM stdin;$`);

/** `\connect shop`, `\connect "my db"`, `\connect -reuse-previous=on "dbname='my db'"`. */
function connectTarget(arg: string): string {
  const conninfo = /dbname='((?:[^'\\]|\\.)*)'/.exec(arg);
  if (conninfo) return conninfo[1].replace(/\\(.)/g, "$1");
  const quoted = /^"((?:[^"]|"")*)"/.exec(arg.trim());
  return quoted ? quoted[1].replace(/""/g, '"') : arg.trim().split(/\s+/)[0];
}

/** public.items → public.items; "My Schema"."t" → My Schema.t */
function unquotePg(name: string): string {
  return name.replace(/"((?:[^"]|"")*)"/g, (_, n: string) => n.replace(/""/g, '"'));
}

/**
 * Counts the rows of a mariadb-dump / mysqldump: the tuples of each INSERT (all on one line, or —
 * MariaDB 10.11 — one per line after `VALUES`), tables from CREATE TABLE.
 */
export class MariadbCounter {
  readonly contents: DumpContents = { databases: [], tables: {} };
  private db = "";
  private inserting?: { key: string; scan: TupleScanner };

  line(l: string): void {
    if (this.inserting) {
      this.add(this.inserting, l, 0);
      return;
    }
    const use = /^USE `((?:[^`]|``)*)`;$/.exec(l);
    if (use) {
      this.db = use[1].replace(/``/g, "`");
      if (!MARIADB_SYSTEM.has(this.db) && !this.contents.databases.includes(this.db))
        this.contents.databases.push(this.db);
      return;
    }
    if (MARIADB_SYSTEM.has(this.db)) return;
    const create = /^CREATE TABLE `((?:[^`]|``)*)` \($/.exec(l);
    if (create) {
      this.contents.tables[`${this.db}.${create[1].replace(/``/g, "`")}`] ??= 0;
      return;
    }
    const insert = /^INSERT INTO `((?:[^`]|``)*)` (?:\([^)]*\) )?VALUES\b/.exec(l);
    if (insert)
      this.add({ key: `${this.db}.${insert[1].replace(/``/g, "`")}`, scan: new TupleScanner() }, l, insert[0].length);
  }

  private add(ins: { key: string; scan: TupleScanner }, l: string, from: number): void {
    const ended = ins.scan.feed(l, from);
    this.contents.tables[ins.key] = (this.contents.tables[ins.key] ?? 0) + ins.scan.take();
    this.inserting = ended ? undefined : ins;
  }
}

/** Counts the `(...)` groups at the top level of an INSERT's VALUES, skipping quoted strings (backslash and doubled-quote escapes); across lines. */
export class TupleScanner {
  private n = 0;
  private depth = 0;
  private quote = "";

  /** Scans s from `from`; true when the statement ended (a `;` at the top level). */
  feed(s: string, from = 0): boolean {
    for (let i = from; i < s.length; i++) {
      const c = s[i];
      if (this.quote) {
        if (c === "\\") i++;
        else if (c === this.quote) {
          if (s[i + 1] === this.quote) i++;
          else this.quote = "";
        }
      } else if (c === "'" || c === '"') this.quote = c;
      else if (c === "(") {
        if (this.depth === 0) this.n++;
        this.depth++;
      } else if (c === ")") this.depth--;
      else if (c === ";" && this.depth === 0) return true;
    }
    return false;
  }

  /** The tuples counted since the last call. */
  take(): number {
    const n = this.n;
    this.n = 0;
    return n;
  }
}

/** One pass over a dump file: its sha256 and, for postgres/mariadb, what it holds. */
export async function readDump(
  file: string,
  engine: "postgres" | "mariadb",
): Promise<{ sha256: string; contents: DumpContents }> {
  const counter = engine === "postgres" ? new PostgresCounter() : new MariadbCounter();
  const sha256 = await sha256Lines(file, (l) => counter.line(l));
  return { sha256, contents: counter.contents };
}

/** Tables and rows of a SQLite file (main schema). */
export async function sqliteContents(file: string): Promise<DumpContents> {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables: Record<string, number> = {};
    const names = db
      .prepare("select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name")
      .all() as Array<{ name: string }>;
    for (const { name } of names) {
      const row = db.prepare(`select count(*) as n from "${name.replace(/"/g, '""')}"`).get() as { n: number };
      tables[`main.${name}`] = Number(row.n);
    }
    return { databases: ["main"], tables };
  } finally {
    db.close();
  }
}

/** Where what a server holds differs from what the dump claimed: "table: claimed N, found M". */
export function compareContents(claimed: Record<string, number>, found: Record<string, number>): string[] {
  const out: string[] = [];
  for (const [table, rows] of Object.entries(claimed)) {
    const got = found[table];
    if (got === undefined) out.push(`${table}: ${rows} row(s) claimed, table missing`);
    else if (got !== rows) out.push(`${table}: ${rows} row(s) claimed, ${got} found`);
  }
  return out;
}
