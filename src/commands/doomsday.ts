import { eventSink, openContext, type CommandEnv } from "../app";
import { DirlistFile } from "../docker/dirlist";
import { parseDuration } from "../duration";
import { ExitCode, UsageError } from "../errors";
import { format } from "../output";
import { backupHoldingLock } from "../services/backup/run";
import { doomsdaySnapshot, type DoomsdayReport } from "../services/doomsday/doomsday";
import { withRepositoryLock } from "../services/run/repository-lock";
import { lockLost } from "./locked";
import { selectStacks } from "../services/stacks/selection";
import { startScheduled } from "./scheduled";

/**
 * `backup --doomsday`: every stack as stage 1 (the same stop/start care, the same service),
 * then the kind:doomsday snapshot of the rest of the host and the recovery kit.
 */
export async function runDoomsday(
  env: CommandEnv,
  names: string[],
  o: { parallel: string; scheduled?: boolean; wait?: string; dryRun?: boolean; volume?: string },
): Promise<number> {
  if (names.length || o.volume || o.dryRun)
    throw new UsageError("--doomsday backs up the whole host: it takes no stack names, --volume or --dry-run");
  const parallel = Number(o.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16)
    throw new UsageError(`--parallel must be a whole number from 1 to 16 (got ${JSON.stringify(o.parallel)})`);
  // Every argument is checked before anything is written (the selection records new stacks in the dirlist).
  const waitMs = o.wait ? parseDuration(o.wait, "--wait") : 0;
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "backup", "doomsday")) return ExitCode.ok;
  const emit = eventSink(env, ctx);
  const sel = await selectStacks(ctx, new DirlistFile(ctx.config.dirlistFile), {
    names: [],
    all: true,
    recordNew: true,
  });
  for (const w of sel.warnings) env.printer.warn(w);
  const stacks = sel.selected.filter((s) => s.source !== "external" || sel.enabled.has(s.name));
  const trigger = o.scheduled ? "scheduled" : "manual";
  const lockOpts = { waitMs, onWait: (m: string) => env.printer.info(m), onLost: lockLost(env) };
  // One lock for both: the stacks are read under it, and nothing runs between the two snapshots.
  // A lost lock aborts env.signal (lockLost), which both runs below use.
  const done = await withRepositoryLock(ctx, lockOpts, async () => {
    const b = stacks.length
      ? await backupHoldingLock(ctx, { stacks, trigger, parallel, signal: env.signal }, emit)
      : {
          report: { runId: 0, outcomes: [], status: "succeeded" as const, exitCode: ExitCode.ok, warnings: [] },
          stacks: [],
        };
    // exitCode: what the lock's loss weighs against (a service left down, 4, outranks its 1).
    if (b.report.fatal || env.signal.aborted) return { backup: b.report, exitCode: b.report.exitCode };
    const doom = await doomsdaySnapshot(ctx, { stacks: b.stacks, backup: b.report, trigger, signal: env.signal }, emit);
    return { backup: b.report, doom, exitCode: Math.max(b.report.exitCode, doom.exitCode) };
  });
  const { backup, doom } = done;
  if (backup.fatal) throw backup.fatal;
  if (!doom) return backup.exitCode;
  env.printer.result({ type: "doomsday", backup: { ...backup, fatal: undefined }, ...doom }, () =>
    render(backup.outcomes, doom),
  );
  for (const w of backup.warnings) env.printer.warn(w);
  return Math.max(backup.exitCode, doom.exitCode);
}

function render(
  outcomes: Array<{ stack: string; status: string; snapshotId?: string; error?: string }>,
  d: DoomsdayReport,
): string {
  const lines = ["stacks:"];
  for (const o of outcomes)
    lines.push(
      `  ${o.stack}: ${o.status}${o.snapshotId ? ` ${o.snapshotId.slice(0, 8)}` : ""}${o.error ? ` (${o.error.split("\n")[0]})` : ""}`,
    );
  lines.push(
    `doomsday snapshot ${d.snapshotId?.slice(0, 8) ?? "-"} (+${format.bytes(d.bytesAdded ?? 0)}): ${d.containers} container(s), ${d.networks} network(s), ${d.volumes.length} volume(s) outside the stack snapshots${d.volumes.length ? ` (${d.volumes.join(", ")})` : ""}`,
  );
  for (const i of d.images) lines.push(`  saved image ${i.ref}: ${format.bytes(i.bytes)}`);
  if (d.localImages.length && !d.images.length)
    lines.push(`  images built here, not saved (SAVE_IMAGES=local keeps them): ${d.localImages.join(", ")}`);
  if (d.portainer)
    lines.push(
      `  Portainer: ${"bytes" in d.portainer ? format.bytes(d.portainer.bytes) : `FAILED: ${d.portainer.error}`}`,
    );
  lines.push(`recovery kit: ${d.kit.dir} (${d.kit.files.join(", ")}); \`sync\` puts it beside the cloud copy`);
  return lines.join("\n");
}
