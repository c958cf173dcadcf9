import { ensurePrivateDir, removeFile } from "../../fsops/private-files";
import { fileSize, readTail, realPath } from "../../fsops/probe";
import { join, posix } from "node:path";
import type { ContainerInfo } from "../../docker/client";
import type { Stack } from "../../docker/discovery";
import { COMPOSE, OUR } from "../../docker/labels";
import { AppError, ExitCode, ToolError, errorMessage } from "../../errors";
import type { DumpDeclaration } from "../../config/types";
import type { ServiceContext } from "../run/context";
import { sha256File } from "../../fsops/file-hash";
import { readDump, sqliteContents, type DumpContents } from "./contents";
import { dumpScript } from "./scripts";

// Database-aware backups: a container labelled backup-tui.dump=postgres|mariadb|sqlite has its
// database dumped while it runs, into the stack's staging directory, so the dump is part of the
// stack's one snapshot. The dump runs inside the container (docker exec) with the container's
// own credentials from its environment; nothing secret is on any command line.

export type DumpEngine = "postgres" | "mariadb" | "sqlite";
const ENGINES = new Set<DumpEngine>(["postgres", "mariadb", "sqlite"]);

export interface DumpSpec {
  container: ContainerInfo;
  /** The Compose service (or container name): the dump's file name. */
  service: string;
  engine: DumpEngine;
  user?: string;
  database?: string;
  /** SQLite: the database file's path inside the container. */
  path?: string;
}

/** What went into the snapshot, recorded in the stack's manifest. */
export interface DumpRecord {
  service: string;
  container: string;
  engine: DumpEngine;
  image: string;
  database?: string;
  /** The database user it was made as (empty: the image's default). */
  user?: string;
  /** Absolute path of the dump file (as it is in the snapshot). */
  file: string;
  bytes: number;
  sha256: string;
  /** The databases, tables and row counts the dump holds, read from it when it was made. */
  contents?: DumpContents;
  ms: number;
}

/**
 * The dumps a stack declares: its containers' labels, and [stack:NAME] DUMP (which wins for the
 * same service). A bad label, or a declared service the stack has no container for, is an error.
 */
export function dumpSpecs(stack: Stack, declared: DumpDeclaration[] = []): DumpSpec[] {
  const out: DumpSpec[] = [];
  const serviceOf = (c: ContainerInfo) => (c.labels[COMPOSE.service] ?? c.name).replace(/[^A-Za-z0-9_.-]/g, "_");
  for (const c of stack.containers) {
    const engine = c.labels[OUR.dump]?.trim().toLowerCase();
    if (!engine || declared.some((d) => d.service === serviceOf(c))) continue;
    if (!ENGINES.has(engine as DumpEngine)) {
      throw new AppError(
        `${c.name}: label ${OUR.dump}=${JSON.stringify(engine)} is not postgres, mariadb or sqlite`,
        ExitCode.config,
        "Fix the label in the stack's compose file.",
      );
    }
    const spec: DumpSpec = {
      container: c,
      service: serviceOf(c),
      engine: engine as DumpEngine,
      user: c.labels[`${OUR.dump}.user`],
      database: c.labels[`${OUR.dump}.database`],
      path: c.labels[`${OUR.dump}.path`],
    };
    if (spec.engine === "sqlite" && !spec.path?.startsWith("/")) {
      throw new AppError(
        `${c.name}: ${OUR.dump}=sqlite needs ${OUR.dump}.path=/absolute/path/inside/the/container.db`,
        ExitCode.config,
      );
    }
    out.push(spec);
  }
  for (const d of declared) {
    const c =
      stack.containers.find((x) => serviceOf(x) === d.service) ?? stack.containers.find((x) => x.name === d.service);
    if (!c) {
      const have = stack.containers.map(serviceOf).join(", ") || "none";
      throw new AppError(
        `[stack:${stack.name}] DUMP names service ${d.service}, which ${stack.name} has no container for (services: ${have})`,
        ExitCode.config,
        "Fix DUMP in the config file, or create the service (`docker compose up -d`).",
      );
    }
    out.push({ container: c, ...d });
  }
  return out;
}

/** The file name of a service's dump in the staging directory. */
export function dumpFileName(spec: Pick<DumpSpec, "service" | "engine">): string {
  return `${spec.service}.${spec.engine === "sqlite" ? "sqlite" : "sql"}`;
}

/** The last line a complete dump ends with: a dump cut short (a crash, a full disk) has none. */
const COMPLETE: Record<"postgres" | "mariadb", RegExp> = {
  postgres: /-- PostgreSQL database (cluster )?dump complete\s*(--\s*)?$/,
  mariadb: /-- Dump completed( on [^\n]*)?\s*$/,
};

/**
 * Dumps every declared database of a stack into dir, checking each dump is complete (its
 * end-of-dump line, not empty). A failing dump throws, failing the stack's backup.
 */
export async function runDumps(
  ctx: ServiceContext,
  specs: DumpSpec[],
  dir: string,
  signal?: AbortSignal,
): Promise<DumpRecord[]> {
  if (!specs.length) return [];
  ensurePrivateDir(dir);
  const out: DumpRecord[] = [];
  for (const spec of specs) {
    if (spec.container.status !== "running" && spec.engine !== "sqlite") {
      throw new AppError(
        `${spec.container.name} is not running: its ${spec.engine} database cannot be dumped`,
        ExitCode.failed,
        "Start it, or remove the backup-tui.dump label.",
      );
    }
    const file = join(dir, dumpFileName(spec));
    removeFile(file);
    const started = Date.now();
    try {
      if (spec.engine === "sqlite") await sqliteBackup(spec, file);
      else await execDump(ctx, spec, file, signal);
      const bytes = fileSize(file);
      if (!bytes) throw new Error("the dump is empty");
      if (spec.engine !== "sqlite" && !COMPLETE[spec.engine].test(readTail(file, 256)))
        throw new Error("the dump is incomplete (no end-of-dump line)");
      const read =
        spec.engine === "sqlite"
          ? { sha256: await sha256File(file), contents: await sqliteContents(file) }
          : await readDump(file, spec.engine);
      out.push({
        service: spec.service,
        container: spec.container.name,
        engine: spec.engine,
        image: spec.container.image,
        database: spec.database,
        user: spec.user,
        file,
        bytes,
        ...read,
        ms: Date.now() - started,
      });
    } catch (err) {
      removeFile(file);
      if (signal?.aborted) throw err;
      const detail = err instanceof ToolError ? err.stderrTail.trim().split("\n").slice(-3).join(" | ") : "";
      throw new AppError(
        `${spec.engine} dump of ${spec.container.name} failed: ${errorMessage(err)}${detail && !errorMessage(err).includes(detail) ? ` (${detail})` : ""}`,
        ExitCode.failed,
        "Check the backup-tui.dump.user / .database labels and the container's credentials.",
      );
    }
  }
  return out;
}

async function execDump(ctx: ServiceContext, spec: DumpSpec, file: string, signal?: AbortSignal): Promise<void> {
  const script = dumpScript(spec.engine);
  await ctx.dockerCli.execScript(spec.container.id, script, [spec.user ?? "", spec.database ?? ""], {
    stdoutFile: file,
    signal,
    timeoutMs: ctx.config.restic.backupTimeoutSec * 1000,
  });
}

/** SQLite through its online backup API, from the volume on the host (images rarely ship sqlite3). */
async function sqliteBackup(spec: DumpSpec, file: string): Promise<void> {
  const host = resolveHostPath(spec.container, spec.path!);
  const { DatabaseSync, backup } = await import("node:sqlite");
  const db = new DatabaseSync(host, { readOnly: true });
  try {
    await backup(db, file);
  } finally {
    db.close();
  }
}

/**
 * A path inside a container as a path on the host, through its mounts (the longest match).
 * The path is normalised first, as the container sees it: "/data/../../etc/shadow" is
 * /etc/shadow, inside no mount. Undefined when it is inside none (or not absolute).
 */
export function hostPath(
  c: ContainerInfo,
  inside: string,
): { mount: ContainerInfo["mounts"][number]; path: string } | undefined {
  // eslint-disable-next-line no-control-regex
  if (!inside.startsWith("/") || /[\u0000-\u001f\u007f]/.test(inside)) return undefined;
  const clean = posix.normalize(inside).replace(/\/+$/, "") || "/";
  const m = c.mounts
    .filter((x) => {
      const dest = x.destination.replace(/\/+$/, "") || "/";
      return clean === dest || clean.startsWith(dest === "/" ? "/" : `${dest}/`);
    })
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  return m ? { mount: m, path: join(m.source, posix.relative(m.destination, clean)) } : undefined;
}

/**
 * The host file a backup-tui.dump.path names, symlinks resolved: it must still be inside the
 * mount's source (a symlink in the volume pointing at /etc/shadow is refused), and exist.
 */
export function resolveHostPath(c: ContainerInfo, inside: string): string {
  const found = hostPath(c, inside);
  const where = `${OUR.dump}.path=${JSON.stringify(inside)}`;
  if (!found)
    throw new Error(
      `${where} is not inside a volume or bind mount of the container (mounts: ${c.mounts.map((m) => m.destination).join(", ") || "none"})`,
    );
  let real: string;
  let root: string;
  try {
    root = realPath(found.mount.source);
    real = realPath(found.path);
  } catch (err) {
    throw new Error(`${where}: ${found.path} cannot be read on the host (${errorMessage(err)})`);
  }
  if (real !== root && !real.startsWith(root === "/" ? "/" : `${root}/`)) {
    throw new Error(
      `${where} resolves to ${real} on the host, outside the mount ${found.mount.destination} (${root}): refused`,
    );
  }
  return real;
}
