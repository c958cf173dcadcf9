import { btui } from "../command-hint";
import { format } from "../output";
import type { DisasterReport } from "../services/disaster/disaster";
import type { RestoreReport } from "../services/restore/restore";
import type { SyncReport } from "../services/sync/sync";
import type { VerifyResult } from "../services/verify/verify";
import { describeCheck } from "../services/verify/files";
import type { RestoreChoice } from "./backend";
import { restoreLabel } from "./backend";
import { disasterLines } from "../reports/disaster";
import { restoreLines } from "../reports/restore";
import type { TaskResult } from "./use-task-run";

/** A finished restore in the CLI's words (src/reports/restore.ts). */
export function restoreSummary(r: RestoreReport, c: RestoreChoice): { ok: boolean; summary: string[] } {
  const summary = restoreLines(r, { label: restoreLabel(c), shortId: c.snapshot.shortId, target: c.target });
  return { ok: r.mode !== "in-place" || r.exitCode === 0, summary };
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

/** A finished recovery in the CLI's words (src/reports/disaster.ts), one line a stack, for the run screen (3). */
export function disasterSummary(r: DisasterReport): TaskResult {
  return { ok: r.exitCode === 0, summary: disasterLines(r, { compact: true }), disaster: r };
}
