import { randomBytes } from "node:crypto";
import type { RunConfig } from "../../docker/client";
import { ToolError, errorMessage } from "../../errors";
import { isAlive } from "../../state/process-info";
import { sha256File } from "../../fsops/file-hash";
import { compareContents, sqliteContents, type DumpContents } from "./contents";
import { countScript, HARMLESS, loadScript, probeScript } from "./scripts";
import type { DumpRecord } from "./dump";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";

/** One dump of a snapshot, loaded into a throw-away server and compared with what it claimed. */
export interface DumpCheck {
  service: string;
  engine: DumpRecord["engine"];
  ok: boolean;
  /** Tables compared, and their rows. */
  tables: number;
  rows: number;
  /** "table: N row(s) claimed, M found", errors while loading. */
  problems: string[];
  /** Could not be checked at all (the image is missing, the server never came up...). */
  error?: string;
  ms: number;
}

/** Label on scratch containers: the pid of the process that made them, so leftovers of a dead run can be removed. */
export const SCRATCH_LABEL = "backup-tui.verify-owner";
const READY_TIMEOUT_MS = 180_000;
/** A server under an init (pid 1 is not the server) counts as ready once it has answered this long. */
const SETTLE_MS = 10_000;

/**
 * Proves a dump restores: its hash against the one recorded when it was made, then — for
 * PostgreSQL and MariaDB — a throw-away container from the same image (the original's command
 * and environment, no volumes, no network) loads it, and every table's row count is compared with
 * what the dump held at backup time. SQLite files are opened and checked on the host. The
 * container is removed afterwards, whatever happens.
 */
export async function verifyDump(
  ctx: ServiceContext,
  rec: DumpRecord,
  file: string,
  o: { stack: string; signal?: AbortSignal; emit?: EventSink },
): Promise<DumpCheck> {
  const started = Date.now();
  const check: DumpCheck = {
    service: rec.service,
    engine: rec.engine,
    ok: false,
    tables: 0,
    rows: 0,
    problems: [],
    ms: 0,
  };
  try {
    if ((await sha256File(file)) !== rec.sha256) {
      check.problems.push("the dump differs from the one made at backup time (sha256)");
      return check;
    }
    const claimed = rec.contents;
    let found: Record<string, number> = {};
    if (rec.engine === "sqlite") {
      found = (await sqliteIntegrity(file, check)).tables;
    } else {
      o.emit?.({
        type: "phase",
        stack: o.stack,
        phase: "verify",
        detail: `loading ${rec.service}'s ${rec.engine} dump into a throw-away container`,
      });
      found = await loadAndCount(ctx, rec, file, check, o.signal);
    }
    if (claimed) {
      check.problems.push(...compareContents(claimed.tables, found));
      check.tables = Object.keys(claimed.tables).length;
      check.rows = Object.values(claimed.tables).reduce((a, b) => a + b, 0);
    }
    check.ok = !check.problems.length;
  } catch (err) {
    if (o.signal?.aborted) throw err;
    check.error =
      err instanceof ToolError && err.stderrTail
        ? `${errorMessage(err)}: ${err.stderrTail.trim().split("\n").slice(-3).join(" | ")}`
        : errorMessage(err);
  } finally {
    check.ms = Date.now() - started;
  }
  return check;
}

async function sqliteIntegrity(file: string, check: DumpCheck): Promise<DumpContents> {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const rows = db.prepare("pragma integrity_check").all() as Array<Record<string, string>>;
    const said = rows.map((r) => Object.values(r)[0]);
    if (said.join() !== "ok") check.problems.push(`integrity check: ${said.slice(0, 3).join("; ")}`);
  } finally {
    db.close();
  }
  return sqliteContents(file);
}

async function loadAndCount(
  ctx: ServiceContext,
  rec: DumpRecord,
  file: string,
  check: DumpCheck,
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const config = await scratchConfig(ctx, rec);
  const name = `backup-tui-verify-${rec.service}-${randomBytes(3).toString("hex")}`.slice(0, 63);
  const id = await ctx.docker.runScratch(name, config, {
    [SCRATCH_LABEL]: String(process.pid),
    "backup-tui.verify-dump": rec.service,
  });
  try {
    await waitReady(ctx, id, rec, signal);
    const { stderr } = await exec(ctx, id, loadScript(rec.engine), [rec.user ?? ""], signal, file);
    const errors = stderr.split("\n").filter((l) => /ERROR/.test(l) && !HARMLESS.test(l));
    if (errors.length)
      check.problems.push(
        ...errors.slice(0, 5).map((e) => `loading: ${e.trim()}`),
        ...(errors.length > 5 ? [`loading: ${errors.length - 5} more error(s)`] : []),
      );
    return await countRows(ctx, id, rec, signal);
  } finally {
    await ctx.docker
      .removeContainer(id)
      .catch((err) =>
        ctx.log.warn({ container: name, err: errorMessage(err) }, "could not remove the scratch container"),
      );
  }
}

/** The original container's command and environment when it is still here, else the image's defaults. */
async function scratchConfig(ctx: ServiceContext, rec: DumpRecord): Promise<RunConfig> {
  const here = await ctx.docker.runConfig(rec.container);
  return here ? { ...here, image: rec.image } : { image: rec.image, env: [] };
}

async function waitReady(ctx: ServiceContext, id: string, rec: DumpRecord, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let answering: number | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const c = await ctx.docker.inspect(id);
    if (c?.status !== "running") {
      const logs = (await ctx.docker.logsTail(id, 5)).trim().split("\n").slice(-3).join(" | ");
      throw new Error(
        `the throw-away ${rec.engine} container from ${rec.image} stopped before it was ready${logs ? ` (${logs})` : ""}`,
      );
    }
    const said = await exec(ctx, id, probeScript(rec.engine), [rec.user ?? ""], signal).then(
      (r) => r.stdout.trim(),
      () => "",
    );
    if (said === "main") return;
    if (said === "other") {
      answering ??= Date.now();
      if (Date.now() - answering >= SETTLE_MS) return;
    } else answering = undefined;
    if (Date.now() > deadline)
      throw new Error(
        `the throw-away ${rec.engine} container from ${rec.image} did not accept connections within ${READY_TIMEOUT_MS / 1000} s`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function countRows(
  ctx: ServiceContext,
  id: string,
  rec: DumpRecord,
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  const dbs = rec.contents?.databases ?? [];
  const parse = (out: string, prefix: string) => {
    for (const line of out.split("\n")) {
      const [table, rows] = line.split("\t");
      if (table && rows !== undefined && /^\d+$/.test(rows.trim())) found[`${prefix}${table}`] = Number(rows);
    }
  };
  if (rec.engine === "postgres") {
    for (const db of dbs) {
      if (!Object.keys(rec.contents!.tables).some((t) => t.startsWith(`${db}.`))) continue;
      const r = await exec(ctx, id, countScript("postgres"), [rec.user ?? "", db], signal).catch(() => undefined);
      if (r) parse(r.stdout, `${db}.`);
    }
    return found;
  }
  const list = await exec(
    ctx,
    id,
    countScript("mariadb"),
    [
      rec.user ?? "",
      "select concat(table_schema, '.', table_name), table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'",
    ],
    signal,
  );
  const tables = list.stdout
    .split("\n")
    .map((l) => l.split("\t"))
    .filter((p) => p.length === 3 && p[0] in (rec.contents?.tables ?? {}));
  const quote = (n: string) => `\`${n.replace(/`/g, "``")}\``;
  const lit = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
  for (let i = 0; i < tables.length; i += 200) {
    const sql = tables
      .slice(i, i + 200)
      .map(([key, db, t]) => `select ${lit(key)}, count(*) from ${quote(db)}.${quote(t)}`)
      .join(" union all ");
    parse((await exec(ctx, id, countScript("mariadb"), [rec.user ?? "", sql], signal)).stdout, "");
  }
  return found;
}

/** A script inside the container; with inputFile, the file is its stdin (a dump to load: its output is not kept). */
function exec(
  ctx: ServiceContext,
  id: string,
  script: string,
  args: string[],
  signal?: AbortSignal,
  inputFile?: string,
) {
  return ctx.dockerCli.execScript(id, script, args, {
    inputFile,
    signal,
    timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
  });
}

/** Removes scratch containers whose verifying process is gone (a verify killed mid-way). */
export async function removeLeftoverScratch(ctx: ServiceContext): Promise<string[]> {
  const removed: string[] = [];
  for (const c of await ctx.docker.listContainers(SCRATCH_LABEL)) {
    const pid = Number(c.labels[SCRATCH_LABEL]);
    if (pid === process.pid || (pid > 0 && isAlive(pid))) continue;
    await ctx.docker.removeContainer(c.id);
    removed.push(c.name);
  }
  return removed;
}
