import { format } from "../output";
import type { DisasterReport } from "../services/disaster/disaster";
import type { RestoreReport } from "../services/restore/restore";
import { syncLines } from "../reports/sync";
import { verifyLines } from "../reports/verify";
import type { SyncJobReport } from "../usecases/sync";
import type { VerifyJobReport } from "../usecases/verify";
import type { RestoreChoice } from "./backend";
import { restoreLabel } from "./backend";
import type { TaskResult } from "./use-task-run";

/** A finished restore in the CLI's words. */
export function restoreSummary(r: RestoreReport, c: RestoreChoice): { ok: boolean; summary: string[] } {
  const label = restoreLabel(c);
  if (r.mode === "target") {
    return {
      ok: true,
      summary: [
        `restored ${label} from ${c.snapshot.shortId} under ${c.target}:`,
        ...r.mappings.map((m) => `  ${c.target}${m.source}`),
      ],
    };
  }
  const lines = [
    `restored ${label} from ${c.snapshot.shortId}${r.runId ? ` (run #${r.runId})` : ""}:`,
    ...r.mappings.map((m) => `  ${m.live}${m.live !== m.source ? ` (from ${m.source})` : ""}`),
  ];
  if (r.createdVolumes.length) lines.push(`created volumes: ${r.createdVolumes.join(", ")}`);
  if (r.safetySnapshot)
    lines.push(`the previous data is kept in safety snapshot ${r.safetySnapshot.slice(0, 8)} (kind:pre-restore)`);
  if (r.downtimeMs) lines.push(`downtime: ${format.ms(r.downtimeMs)}`);
  for (const f of r.notRestarted) lines.push(`URGENT: ${f.name} is not running again: ${f.reason}`);
  return { ok: r.exitCode === 0, summary: lines };
}

/** A finished sync in the CLI's words (src/reports/sync.ts), fewer differing files listed; the kit's failure said too. */
export function syncSummary(r: SyncJobReport): { ok: boolean; summary: string[] } {
  const [head, ...rest] = syncLines(r.sync, { differences: 10 });
  return {
    ok: r.sync.exitCode === 0,
    summary: [
      `${r.sync.runId ? `run #${r.sync.runId}: ` : ""}${head}`,
      ...rest,
      ...(r.kitWarning ? [r.kitWarning] : []),
    ],
  };
}

/** A finished verify in the CLI's words (src/reports/verify.ts), with its run number. */
export function verifySummary(r: VerifyJobReport): { ok: boolean; summary: string[] } {
  const [head, ...rest] = verifyLines(r);
  return { ok: r.ok, summary: [`run #${r.runId}: ${head}`, ...rest] };
}

/** A finished recovery in the CLI's words (commands/disaster.ts), for the run screen (3). */
export function disasterSummary(r: DisasterReport): TaskResult {
  const lines = [
    `recovered ${r.host} from doomsday snapshot ${r.snapshot.slice(0, 8)} (${format.when(r.snapshotTime)}) in ${format.ms(r.durationMs)}${r.resumed ? " (continued an interrupted recovery)" : ""}`,
  ];
  lines.push(
    `created ${r.created.networks.length} network(s), ${r.created.volumes.length} volume(s)${r.imagesLoaded.length ? `; loaded images ${r.imagesLoaded.join(", ")}` : ""}`,
  );
  for (const s of r.stacks)
    lines.push(
      `${s.state === "failed" ? "FAILED " : ""}${s.stack}: ${s.wasRunning ? s.state : "was stopped: not started"}${s.error ? `: ${s.error}` : ""}`,
    );
  for (const c of r.manualContainers)
    lines.push(`recreate by hand: ${c.name} (${c.image}), not a Compose container; its volumes are restored`);
  return { ok: r.exitCode === 0, summary: lines, disaster: r };
}
