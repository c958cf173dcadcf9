import type { Config } from "../../config/types";
import { DirlistFile } from "../../docker/dirlist";
import { ExitCode } from "../../errors";
import { format } from "../../format";
import { notifyRun } from "../../notify/notify";
import { stacksDue, type StackDue } from "../../schedule/due";
import type { ServiceContext } from "../run/context";

/**
 * Notifies when stacks become overdue: once per stack until it has a good backup again (the
 * state store remembers, so the daemon and timer-started runs do not repeat each other).
 * Returns the stacks newly reported.
 */
export async function notifyOverdue(
  ctx: ServiceContext,
  config: Config = ctx.config,
  now: Date = new Date(),
): Promise<StackDue[]> {
  const enabled = new DirlistFile(config.dirlistFile).enabledKeys();
  const due = stacksDue(config, enabled, ctx.store.lastBackups(), now);
  const told = ctx.store.overdueNotified();
  ctx.store.setOverdueNotified(
    due.filter((d) => !d.overdue && told.has(d.stack)).map((d) => d.stack),
    false,
  );
  const fresh = due.filter((d) => d.overdue && !told.has(d.stack));
  if (!fresh.length) return [];
  ctx.log.warn({ stacks: fresh.map((d) => d.stack) }, "stacks overdue");
  await notifyRun(config, ctx.log, {
    kind: "schedule check",
    status: "failed",
    host: config.hostname,
    exitCode: ExitCode.failed,
    lines: fresh.map(
      (d) =>
        `${d.stack}: OVERDUE, last good backup ${d.lastGood ? format.when(d.lastGood) : "never"} (allowed: ${format.age(d.thresholdMs)}, schedule ${d.schedule})`,
    ),
    startedAt: now.toISOString(),
    finishedAt: new Date().toISOString(),
  });
  ctx.store.setOverdueNotified(
    fresh.map((d) => d.stack),
    true,
  );
  return fresh;
}
