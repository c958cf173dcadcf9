import { join } from "node:path";
import { btui } from "../../command-hint";
import { discoverStacks } from "../../docker/discovery";
import { COMPOSE } from "../../docker/labels";
import { UsageError } from "../../errors";
import { canonicalPath, isInside } from "../../fsops/identity";
import type { CatalogSnapshot } from "../../state/catalog";
import type { ServiceContext } from "../run/context";
import type { StackManifest } from "../snapshots/manifest";
import type { RestoreMapping } from "./plan";
import { stackPaths } from "../stacks/paths";

export interface ScopeRequest {
  scope: { kind: "stack"; stack: string } | { kind: "volume"; volume: string };
  /** The host whose snapshots may be restored here in place (--host); default: this host. */
  host?: string;
  /** The disaster recovery: the old host's paths, as its manifest names them (it checks what exists here itself). */
  oldHostPaths?: boolean;
}

/**
 * An in-place restore writes only what this host says is the stack's: the snapshot must be one of
 * the stack (tag stack:NAME, its manifest's stack) made by this host (or --host), and every path it
 * writes must be named by its manifest AND be the stack's directory, one of its volumes or a path
 * configured for it here (bind sources, EXTRA_PATHS). A snapshot never decides on its own which
 * absolute paths of this host are replaced.
 */
export async function assertInPlaceScope(
  ctx: ServiceContext,
  req: ScopeRequest,
  snap: CatalogSnapshot,
  manifest: StackManifest | undefined,
  mappings: RestoreMapping[],
): Promise<void> {
  assertSnapshotOf(ctx, req, snap, manifest);
  if (req.scope.kind === "volume") return; // only the named volume is written, found by name here
  const name = req.scope.stack;
  if (req.oldHostPaths) return;
  const outside = await pathsOutsideStack(ctx, name, manifest, mappings);
  if (outside.length) {
    throw new UsageError(
      `snapshot ${snap.shortId} would write ${outside.join(", ")}: not ${outside.length === 1 ? "a path" : "paths"} of stack ${name} on this host (its directory, its volumes, its bind mounts and [stack:${name}] EXTRA_PATHS)`,
      "Restore under a directory (`--target DIR`) and copy what you need, or configure the path for the stack first (EXTRA_PATHS).",
    );
  }
}

/** The snapshot is this host's (or --host's) and, for a stack, one of that stack: also before a dump is loaded. */
export function assertSnapshotOf(
  ctx: ServiceContext,
  req: Omit<ScopeRequest, "oldHostPaths">,
  snap: CatalogSnapshot,
  manifest: StackManifest | undefined,
): void {
  const host = req.host ?? ctx.config.hostname;
  if (snap.host !== host) {
    throw new UsageError(
      `snapshot ${snap.shortId} was made by host ${snap.host}, not ${req.host ? `--host ${host}` : `this host (${host})`}: restored in place, it would decide which paths of this host are replaced`,
      `Restore it under a directory (\`--target DIR\`) and copy what you need, or pass \`--host ${snap.host}\` if this host took over that host's stacks.`,
    );
  }
  if (req.scope.kind === "volume") return;
  const name = req.scope.stack;
  const of = snap.stack ?? manifest?.stack;
  if (!snap.tags.includes(`stack:${name}`) || (manifest && manifest.stack !== name)) {
    throw new UsageError(
      `snapshot ${snap.shortId} is not a snapshot of stack ${name} (${of ? `it is of stack ${of}` : "it carries no stack:NAME tag"}): restoring it in place would replace another stack's data`,
      `List ${name}'s snapshots with \`${btui(`snapshots --stack ${name}`)}\`${of ? `, or restore ${of} with \`--stack ${of}\`` : ""}.`,
    );
  }
}

/** The mappings' live paths that are not the stack's here, or not named by the snapshot's manifest. */
async function pathsOutsideStack(
  ctx: ServiceContext,
  name: string,
  manifest: StackManifest | undefined,
  mappings: RestoreMapping[],
): Promise<string[]> {
  const stack = (await discoverStacks(ctx.docker, ctx.config.docker.stacksDir)).find((s) => s.name === name);
  const allowed: string[] = [...(ctx.config.stacks[name]?.extraPaths ?? [])];
  if (stack) {
    const sp = stackPaths(stack, ctx.config);
    allowed.push(...sp.paths, ...sp.missing);
  } else if (name.startsWith("EXT:")) {
    allowed.push(name.slice(4));
  } else if (ctx.config.docker.stacksDir) {
    allowed.push(join(ctx.config.docker.stacksDir, name)); // the directory it would be found in, removed since
  }
  const project = stack?.project ?? manifest?.project;
  const named = manifest
    ? [manifest.dir, ...manifest.paths, ...manifest.volumes.map((v) => v.mountpoint)].filter((p): p is string => !!p)
    : undefined;
  const real = allowed.map(canonicalPath);
  const out: string[] = [];
  for (const m of mappings) {
    if (named && !named.some((p) => isInside(m.source, p))) {
      out.push(m.live);
      continue;
    }
    if (m.volume) {
      const here = await ctx.docker.inspectVolume(m.volume);
      // A volume missing here is created empty; one that exists must be this stack's.
      if (
        !here ||
        stack?.volumes.some((v) => v.name === m.volume) ||
        (project && here.labels[COMPOSE.project] === project)
      )
        continue;
      out.push(m.live);
      continue;
    }
    const live = canonicalPath(m.live);
    if (!real.some((a) => isInside(live, a))) out.push(m.live);
  }
  return out;
}
