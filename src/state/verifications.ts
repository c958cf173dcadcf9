import type { DatabaseSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS verifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  repository TEXT NOT NULL,
  level TEXT NOT NULL,
  part TEXT,
  stack TEXT,
  snapshot TEXT,
  ok INTEGER NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS verifications_repo ON verifications(repository, id);
`;

/** One verification: of the whole repository (no stack), or of one stack's snapshot (level files). */
export interface Verification {
  at: string;
  repository: string;
  level: string;
  /** subset: the part read, "5%" or "3/10". */
  part?: string;
  stack?: string;
  snapshot?: string;
  ok: boolean;
  detail?: string;
}

/** What verify found, kept so `status` can say when each thing was last proved, and so rotating subsets go on where they stopped. */
export class Verifications {
  constructor(private readonly db: DatabaseSync) {
    db.exec(SCHEMA);
  }

  record(rows: Verification[]): void {
    const insert = this.db.prepare(
      "INSERT INTO verifications (at, repository, level, part, stack, snapshot, ok, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    for (const r of rows)
      insert.run(
        r.at,
        r.repository,
        r.level,
        r.part ?? null,
        r.stack ?? null,
        r.snapshot ?? null,
        r.ok ? 1 : 0,
        r.detail?.slice(0, 4000) ?? null,
      );
  }

  /** The newest verification of the repository as a whole, and the newest of each stack. */
  latest(repository: string): { repository?: Verification; stacks: Map<string, Verification> } {
    const rows = this.db
      .prepare("SELECT * FROM verifications WHERE repository = ? ORDER BY id DESC LIMIT 5000")
      .all(repository) as Array<Record<string, unknown>>;
    const stacks = new Map<string, Verification>();
    let whole: Verification | undefined;
    for (const raw of rows) {
      const v = toVerification(raw);
      if (!v.stack) whole ??= v;
      else if (!stacks.has(v.stack)) stacks.set(v.stack, v);
    }
    return { repository: whole, stacks };
  }

  /** The part after the last one of N read from this repository ("1/N" the first time, after N/N again 1/N). */
  nextPart(repository: string, n: number): string {
    const last = this.db
      .prepare(
        "SELECT part FROM verifications WHERE repository = ? AND level = 'subset' AND part LIKE ? ORDER BY id DESC LIMIT 1",
      )
      .get(repository, `%/${n}`) as { part?: string } | undefined;
    const k = Number(/^(\d+)\//.exec(last?.part ?? "")?.[1] ?? 0);
    return `${(k % n) + 1}/${n}`;
  }
}

function toVerification(r: Record<string, unknown>): Verification {
  return {
    at: String(r.at),
    repository: String(r.repository),
    level: String(r.level),
    part: (r.part as string | null) ?? undefined,
    stack: (r.stack as string | null) ?? undefined,
    snapshot: (r.snapshot as string | null) ?? undefined,
    ok: r.ok === 1,
    detail: (r.detail as string | null) ?? undefined,
  };
}
