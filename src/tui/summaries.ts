import type { DisasterReport } from "../services/disaster/disaster";
import type { RestoreReport } from "../services/restore/restore";
import { syncJobLines } from "../reports/sync";
import { verifyLines } from "../reports/verify";
import type { SyncJobReport } from "../usecases/sync";
import type { VerifyJobReport } from "../usecases/verify";
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

/** A finished sync in the CLI's words (src/reports/sync.ts), fewer differing files listed; the kit's failure said too. */
export function syncSummary(r: SyncJobReport): { ok: boolean; summary: string[] } {
  const runs = r.targets.flatMap((t) => (t.runId ? [`#${t.runId}`] : []));
  const [head, ...rest] = syncJobLines(r, { differences: 10 });
  return { ok: r.exitCode === 0, summary: [`${runs.length ? `run ${runs.join(", ")}: ` : ""}${head}`, ...rest] };
}

/** A finished verify in the CLI's words (src/reports/verify.ts), with its run number. */
export function verifySummary(r: VerifyJobReport): { ok: boolean; summary: string[] } {
  const [head, ...rest] = verifyLines(r);
  return { ok: r.ok, summary: [`run #${r.runId}: ${head}`, ...rest] };
}

/** A finished recovery in the CLI's words (src/reports/disaster.ts), one line a stack, for the run screen (3). */
export function disasterSummary(r: DisasterReport): TaskResult {
  return { ok: r.exitCode === 0, summary: disasterLines(r, { compact: true }), disaster: r };
}
