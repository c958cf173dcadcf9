import { errorMessage } from "../errors";
import type { RunNotice } from "../notify/message";
import { format } from "../format";
import { afterRun, beforeRun } from "./after-run";
import { runBackup, type BackupReport, type BackupRequest } from "./backup";
import type { ServiceContext } from "./context";
import type { EventSink } from "./events";
import { withRepositoryLock } from "./locked";
import { preflight } from "./preflight";

/**
 * A whole backup run as the CLI, the TUI and the daemon do it: the repository lock, the
 * healthchecks start ping, recovery of dead runs, the backup, notifications and metrics.
 */
export async function lockedBackup(ctx: ServiceContext, req: BackupRequest, o: { waitMs?: number; onWait?: (m: string) => void }, emit: EventSink): Promise<BackupReport> {
  return withRepositoryLock(ctx, o, async () => {
    const startedAt = new Date().toISOString();
    await beforeRun(ctx);
    await preflight(ctx, emit, req.signal);
    const report = await runBackup(ctx, req, emit);
    ctx.log.info({ runId: report.runId, status: report.status, exitCode: report.exitCode, outcomes: report.outcomes }, "backup run finished");
    await afterRun(ctx, backupNotice(ctx, report, startedAt));
    return report;
  });
}

export function backupNotice(ctx: ServiceContext, r: BackupReport, startedAt: string): RunNotice {
  return {
    kind: "backup",
    runId: r.runId,
    status: r.status,
    host: ctx.config.hostname,
    exitCode: r.exitCode,
    lines: r.outcomes.map((o) =>
      o.status === "failed"
        ? `${o.stack}: FAILED ${o.error?.split("\n")[0] ?? ""}`
        : `${o.stack}: ${o.status}, downtime ${format.ms(o.downtimeMs)}, +${format.bytes(o.bytesAdded)}, snapshot ${o.snapshotId?.slice(0, 8)}`,
    ),
    error: [r.fatal === undefined ? "" : errorMessage(r.fatal), ...r.warnings].filter(Boolean).join("\n") || undefined,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}
