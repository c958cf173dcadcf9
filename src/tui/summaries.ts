import { btui } from "../command-hint";
import { format } from "../output";
import type { DisasterReport } from "../services/disaster/disaster";
import type { RestoreReport } from "../services/restore/restore";
import type { SyncReport } from "../services/sync/sync";
import type { VerifyResult } from "../services/verify/verify";
import { describeCheck } from "../services/verify/files";
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

export function syncSummary(r: SyncReport): { ok: boolean; summary: string[] } {
  const s = r.transfer?.stats;
  const lines = [
    `${r.runId ? `run #${r.runId}: ` : ""}synced to ${r.remote}: ${r.transfer?.copied ?? 0} file(s) copied, ${r.transfer?.deleted ?? 0} removed, ${format.bytes(s?.bytes)} in ${format.ms(Math.round((s?.elapsedTime ?? 0) * 1000))}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ""}`,
  ];
  if (r.verified) {
    lines.push(
      r.verified.ok
        ? "the cloud copy matches the local repository"
        : "THE CLOUD COPY DIFFERS from the local repository:",
      ...r.verified.differences.slice(0, 10).map((d) => `  ${d}`),
    );
    if (!r.verified.ok)
      lines.push(
        `Run \`${btui("verify --level data")}\` and \`${btui("verify --remote --level data")}\`; \`sync --force\` replaces the cloud's files with the local ones.`,
      );
  }
  if (r.purgedDeletedDirs.length)
    lines.push(`removed kept-deleted folders older than the keep period: ${r.purgedDeletedDirs.join(", ")}`);
  return { ok: r.exitCode === 0, summary: lines };
}

export function verifySummary(r: VerifyResult & { runId: number; target: string; level: string }): {
  ok: boolean;
  summary: string[];
} {
  const head = r.ok
    ? `run #${r.runId}: verified ${r.target}: ${r.level} OK`
    : `run #${r.runId}: VERIFICATION FAILED for ${r.target} (${r.level}):`;
  return {
    ok: r.ok,
    summary: [head, ...(r.ok ? (r.files ?? []).flatMap(describeCheck) : (r.detail ?? "").split("\n"))],
  };
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
