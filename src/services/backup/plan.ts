import type { DumpDeclaration, Strategy } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { planQuiesce } from "../../docker/lifecycle";
import { stackStrategy } from "../../docker/labels";
import { errorMessage } from "../../errors";
import { dumpSpecs, type DumpEngine, type DumpSpec } from "../dumps/dump";
import { checkSnapshotSpace, decideSnapshot, snapshotPaths } from "./fs-snapshot";
import type { ServiceContext } from "../run/context";
import { worthAHotPass } from "../run/hot-pass";
import { lowSpace, lowSpaceRefusal } from "./run";
import { stackPaths } from "../stacks/paths";

/** A database dump the backup takes first, while the service runs (the stack is stopped only afterwards). */
export interface DumpPlan {
  service: string;
  container: string;
  engine: DumpEngine;
  database?: string;
  user?: string;
  /** SQLite: the database file inside the container. */
  path?: string;
}

export interface StackPlan {
  stack: string;
  state: string;
  strategy: Strategy;
  twoPass: boolean;
  stop: string[];
  pause: string[];
  down: string[];
  untouched: string[];
  /** The snapshot strategy: the btrfs subvolumes it would snapshot. */
  snapshots?: string[];
  paths: string[];
  excludes: string[];
  estimatedBytes?: number;
  dumps: DumpPlan[];
  notes: string[];
}

export interface BackupPlan {
  type: "plan";
  stacks: StackPlan[];
  /** What the run does before any stack (LOW_SPACE_ACTION=prune: forget the oldest snapshots first). */
  notes?: string[];
}

/**
 * What a backup would do, computed without stopping or writing anything. It refuses what the run
 * refuses before any stack (low space with LOW_SPACE_ACTION=skip), with the same error.
 */
export async function planBackup(
  ctx: ServiceContext,
  stacks: Stack[],
  o: { strategy?: Strategy; twoPass?: boolean },
): Promise<BackupPlan> {
  const low = lowSpace(ctx);
  if (low?.action === "skip") throw lowSpaceRefusal(low.message);
  const out: StackPlan[] = [];
  for (const stack of stacks) {
    const settings = ctx.config.stacks[stack.name];
    const sp = stackPaths(stack, ctx.config);
    let strategy = stackStrategy(stack.containers, o.strategy ?? settings?.strategy ?? ctx.config.docker.strategy);
    const snapNotes: string[] = [];
    let snapshots: string[] | undefined;
    if (strategy === "snapshot") {
      const d = await decideSnapshot(ctx, snapshotPaths(stack, sp.paths), "dry-run");
      snapNotes.push(...d.notes);
      if (d.use) {
        snapshots = d.plan.snapshots.map((x) => x.unit.source);
        try {
          checkSnapshotSpace(ctx.config, d.plan);
        } catch (err) {
          snapNotes.push(`would refuse: ${errorMessage(err)}`);
        }
      } else {
        strategy = d.fallback;
        snapNotes.push(d.note);
      }
    }
    const q = planQuiesce(stack, strategy, ctx.config.docker.snapshotFreeze ?? "pause");
    const stop = q.stopLevels.flat().map((c) => c.name);
    const dumpNotes: string[] = [];
    const dumps = planDumps(stack, settings?.dumps, dumpNotes);
    const notes = [
      ...snapNotes,
      ...dumpNotes,
      ...q.notes,
      ...sp.skippedBinds.map(
        (b) => `bind mount ${b} is outside the stack directory: not backed up (BACKUP_BIND_MOUNTS=true adds it)`,
      ),
      ...sp.missing.map((m) => `${m} does not exist`),
    ];
    out.push({
      stack: stack.name,
      state: stack.state,
      strategy: q.strategy,
      twoPass:
        !snapshots &&
        (o.twoPass ?? settings?.twoPass ?? ctx.config.docker.twoPass) &&
        (stop.length > 0 || q.pause.length > 0 || q.downServices.length > 0) &&
        worthAHotPass(sp.paths, ctx.hotPassMin),
      stop,
      pause: q.pause.map((c) => c.name),
      down: q.downServices,
      untouched: q.untouched.map((u) => `${u.container.name}: ${u.reason}`),
      snapshots,
      paths: sp.paths,
      excludes: sp.excludes,
      estimatedBytes: await diskUsage(ctx, sp.paths),
      dumps,
      notes,
    });
  }
  return {
    type: "plan",
    stacks: out,
    ...(low
      ? { notes: [`${low.message}: would forget the oldest unprotected snapshots first (LOW_SPACE_ACTION=prune)`] }
      : {}),
  };
}

/** The stack's dumps as the run would take them; what the run would refuse goes into notes. */
function planDumps(stack: Stack, declared: DumpDeclaration[] | undefined, notes: string[]): DumpPlan[] {
  let specs: DumpSpec[];
  try {
    specs = dumpSpecs(stack, declared);
  } catch (err) {
    notes.push(`would fail: ${errorMessage(err)}`);
    return [];
  }
  for (const d of specs) {
    if (d.engine !== "sqlite" && d.container.status !== "running")
      notes.push(`would fail: ${d.container.name} is not running, so its ${d.engine} database cannot be dumped`);
  }
  return specs.map((d) => ({
    service: d.service,
    container: d.container.name,
    engine: d.engine,
    database: d.database,
    user: d.user,
    path: d.path,
  }));
}

/** Apparent size of paths (du), or undefined when it cannot be measured. */
export async function diskUsage(ctx: ServiceContext, paths: string[]): Promise<number | undefined> {
  if (!paths.length) return 0;
  try {
    const r = await ctx.runner.run("du", ["-s", "-b", "-c", "--", ...paths], {
      timeoutMs: 120_000,
      okExitCodes: [0, 1],
    });
    const total = r.stdout.trim().split("\n").pop()?.split(/\s+/)[0];
    return total ? Number(total) : undefined;
  } catch {
    return undefined;
  }
}
