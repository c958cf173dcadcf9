import { btui } from "../../command-hint";
import { ensurePrivateDir } from "../../fsops/private-files";
import { filesystemSpace, readText } from "../../fsops/probe";
import { removeTree } from "../../fsops/swap";
import { join } from "node:path";
import { AppError, ExitCode, errorMessage, ToolError } from "../../errors";
import { format } from "../../format";
import { walk } from "../../fsops/tree";
import type { CatalogFile, CatalogSnapshot } from "../../state/catalog";
import { ensureIndexed, refreshCatalog } from "../snapshots/catalog";
import type { ServiceContext } from "../run/context";
import type { EventSink } from "../run/events";
import { checkManifest, type StackManifest } from "../snapshots/manifest";
import { isManifestPath } from "../restore/plan";
import { removeLeftoverScratch, verifyDump, type DumpCheck } from "../dumps/verify";

/** One snapshot restored into scratch space and compared with its listing. */
export interface FilesCheck {
  stack: string;
  snapshot: string;
  time: string;
  files: number;
  bytes: number;
  /** In the listing, not restored. */
  missing: string[];
  /** Restored, not in the listing. */
  extra: string[];
  /** Restored with another type or size than listed. */
  differing: string[];
  /** The database dumps in the snapshot, each loaded into a throw-away server and compared with its manifest. */
  dumps: DumpCheck[];
  /** restic's own failure: a pack it could not read, content that did not match its hash (--verify). */
  error?: string;
  ok: boolean;
}

const SHOWN = 20;

/** The newest kind:stack snapshot of each stack of this host (or of the stacks asked for). */
export function filesTargets(ctx: ServiceContext, stacks?: string[]): CatalogSnapshot[] {
  const latest = ctx.store.catalog
    .list({ host: ctx.config.hostname, tag: "kind:stack", latestPerStack: 1 })
    .filter((s) => s.stack);
  if (!stacks?.length) return latest.sort((a, b) => a.stack!.localeCompare(b.stack!));
  return stacks.map((name) => {
    const s = latest.find((x) => x.stack === name);
    if (!s)
      throw new AppError(
        `no snapshot of ${name} from ${ctx.config.hostname} to verify`,
        ExitCode.usage,
        `Run \`${btui("snapshots")}\` to see what there is (and \`${btui("snapshots --refresh")}\` after changes by hand).`,
      );
    return s;
  });
}

/** Compares a restored tree (under scratch) with the snapshot's listing: paths are the listing's absolute ones. */
export function compareTree(
  listing: CatalogFile[],
  restored: Map<string, { type: string; size: number }>,
  scratch: string,
): Pick<FilesCheck, "files" | "bytes" | "missing" | "extra" | "differing"> {
  const out = { files: 0, bytes: 0, missing: [] as string[], extra: [] as string[], differing: [] as string[] };
  const listed = new Set<string>();
  for (const f of listing) {
    listed.add(f.path);
    const got = restored.get(join(scratch, f.path));
    if (!got) {
      out.missing.push(f.path);
      continue;
    }
    const type = f.type === "file" ? "file" : f.type === "dir" ? "dir" : f.type === "symlink" ? "symlink" : "other";
    if (got.type !== type || (type === "file" && got.size !== (f.size ?? 0))) {
      out.differing.push(
        `${f.path} (${type} ${format.bytes(f.size)} listed, ${got.type} ${format.bytes(got.size)} restored)`,
      );
      continue;
    }
    if (type === "file") {
      out.files++;
      out.bytes += got.size;
    }
  }
  for (const [path, e] of restored) {
    const rel = path.slice(scratch.length) || "/";
    // The parents of the snapshot's paths (/, /var, /var/lib...) are made by the restore.
    if (!listed.has(rel) && !(e.type === "dir" && listing.some((f) => f.path.startsWith(`${rel === "/" ? "" : rel}/`))))
      out.extra.push(rel);
  }
  return out;
}

/**
 * The files level: each stack's newest snapshot restored into scratch space with restic's own
 * content verification (`restore --verify` re-reads every file against its blob hashes), then
 * compared with the snapshot's listing (paths, types, sizes). The scratch copy is removed after
 * each snapshot, whatever happens.
 */
export async function verifyFiles(
  ctx: ServiceContext,
  o: { stacks?: string[]; scratch: string; signal?: AbortSignal; emit?: EventSink },
): Promise<FilesCheck[]> {
  // What the repository holds now (snapshots made or forgotten by hand included), not what the catalog last saw.
  await refreshCatalog(ctx, o.signal);
  for (const name of await removeLeftoverScratch(ctx))
    ctx.log.info({ container: name }, "removed a scratch container a dead verify left");
  const targets = filesTargets(ctx, o.stacks);
  const checks: FilesCheck[] = [];
  ensurePrivateDir(o.scratch);
  for (const snap of targets) {
    if (o.signal?.aborted) break;
    const dir = join(o.scratch, `${snap.shortId}-${process.pid}`);
    const check: FilesCheck = {
      stack: snap.stack!,
      snapshot: snap.id,
      time: snap.time,
      files: 0,
      bytes: 0,
      missing: [],
      extra: [],
      differing: [],
      dumps: [],
      ok: false,
    };
    checks.push(check);
    o.emit?.({
      type: "phase",
      stack: snap.stack!,
      phase: "verify",
      detail: `restoring ${snap.shortId} into scratch space`,
    });
    try {
      assertRoom(o.scratch, snap);
      await ensureIndexed(ctx, snap, o.signal);
      await removeTree(dir);
      ensurePrivateDir(dir);
      await ctx.restic.restore({ snapshot: snap.id, target: dir, verify: true, signal: o.signal });
      const listing = snap.paths.flatMap((p) => ctx.store.catalog.tree(snap.id, p));
      Object.assign(check, compareTree(listing, await walk(dir), dir));
      check.dumps = await verifyDumps(ctx, snap, dir, o);
      check.ok =
        !check.missing.length && !check.extra.length && !check.differing.length && check.dumps.every((d) => d.ok);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      check.error =
        err instanceof ToolError && err.stderrTail
          ? `${errorMessage(err)}\n${err.stderrTail.split("\n").slice(-6).join("\n")}`
          : errorMessage(err);
    } finally {
      await removeTree(dir);
    }
  }
  return checks;
}

/** The dumps the restored snapshot's manifest lists, each proved by loading it (see verifyDump). */
async function verifyDumps(
  ctx: ServiceContext,
  snap: CatalogSnapshot,
  dir: string,
  o: { signal?: AbortSignal; emit?: EventSink },
): Promise<DumpCheck[]> {
  const manifestPath = snap.paths.find(isManifestPath);
  if (!manifestPath) return [];
  let manifest: StackManifest;
  try {
    manifest = JSON.parse(readText(join(dir, manifestPath))) as StackManifest;
  } catch {
    return []; // a missing or unreadable manifest is reported by the comparison with the listing
  }
  checkManifest(manifest, snap); // a dump file outside the snapshot is never read from the host
  const checks: DumpCheck[] = [];
  for (const rec of manifest.dumps ?? [])
    checks.push(
      await verifyDump(ctx, rec, join(dir, rec.file), { stack: snap.stack!, signal: o.signal, emit: o.emit }),
    );
  return checks;
}

/** Refuses early when the scratch filesystem cannot hold the snapshot's data. */
function assertRoom(scratch: string, snap: CatalogSnapshot): void {
  if (!snap.totalBytes) return;
  const free = filesystemSpace(scratch).freeBytes;
  if (free < snap.totalBytes * 1.05) {
    throw new AppError(
      `not enough room to restore ${snap.shortId} for verification: it holds ${format.bytes(snap.totalBytes)}, ${scratch} has ${format.bytes(free)} free`,
      ExitCode.failed,
      "Pass --scratch DIR on a filesystem with room.",
    );
  }
}

/** What went wrong with one snapshot, in a few lines. */
export function describeCheck(c: FilesCheck): string[] {
  const dumps = (c.dumps ?? []).map(describeDump);
  if (c.ok)
    return [
      `${c.stack}: ${c.snapshot.slice(0, 8)} restores: ${c.files} files, ${format.bytes(c.bytes)}, identical to its listing`,
      ...dumps,
    ];
  const lines = [`${c.stack}: ${c.snapshot.slice(0, 8)} (${format.when(c.time)}) FAILED`];
  if (c.error) lines.push(`  ${c.error.replace(/\n/g, "\n  ")}`);
  for (const [what, list] of [
    ["missing", c.missing],
    ["not in the listing", c.extra],
    ["differing", c.differing],
  ] as const) {
    if (list.length)
      lines.push(`  ${list.length} ${what}: ${list.slice(0, SHOWN).join(", ")}${list.length > SHOWN ? ", ..." : ""}`);
  }
  return [...lines, ...dumps];
}

function describeDump(d: DumpCheck): string {
  if (d.ok)
    return `  dump ${d.service} (${d.engine}) loads: ${d.tables} table(s), ${d.rows} row(s) as claimed (${(d.ms / 1000).toFixed(1)} s)`;
  const why = d.error ? [d.error] : d.problems;
  return `  dump ${d.service} (${d.engine}) FAILED: ${why.slice(0, SHOWN).join("; ")}${why.length > SHOWN ? "; ..." : ""}`;
}
