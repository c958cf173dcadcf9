import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { format, table } from "../output";
import { localRepoBytes } from "../fsops/repo-files";
import { freeSpace, isLocalRepository } from "../services/retention/space-budget";
import { readStatus, statusExitCode } from "../services/status/status";
import { acceptLossCommand } from "../services/status/warnings";
import { UsageError } from "../errors";
import { runFleet } from "./status-fleet";

/** Missing ids a --json alarm lists (the count says how many there are). */
const MISSING_SHOWN = 100;

/**
 * One look at the host's backups, from local state only (no repository access): per stack the
 * last good backup and its age, the next scheduled run, overdue flags; the last verify; the
 * catalog's snapshot count; deletions pending for space; the lock holder; a pending recovery.
 * Exit 4 when containers a dead run stopped are still down, 1 when a stack is overdue, the last
 * verification (of the repository, or of a stack's restore) failed or a sync target's tamper alarm
 * is not acknowledged.
 */
export async function run(
  env: CommandEnv,
  o: { fleet?: boolean; textfile?: string; now?: string } = {},
): Promise<number> {
  const ctx = openContext(env);
  if (o.fleet) return runFleet(env, ctx, o);
  if (o.textfile || o.now) throw new UsageError("--textfile and --now go with --fleet");
  // strict: an unreadable dirlist or unusable due dates fail the command, as they always did.
  const status = await readStatus(ctx, { strict: true });
  // The dirlist's line warnings (the config's were printed when it was opened).
  for (const w of status.warnings) if (w.kind === "dirlist") env.printer.warn(w.message);
  const { now, lock, pendingDeletions, catalog } = status;
  const pending = status.pendingRecovery.map((p) => ({
    stack: p.stack,
    containers: p.containers,
    pid: p.pid,
    alive: p.alive,
  }));
  const stacks = status.stacks.map((r) => ({
    stack: r.stack,
    last: r.last?.startedAt,
    status: r.last?.status,
    lastGood: r.lastGood?.startedAt,
    ageMs: r.ageMs,
    next: r.due?.next,
    schedule: r.due?.schedule,
    overdue: r.due?.overdue ?? false,
    verified: r.verified,
  }));
  const alarms = status.targetAlarms.map((a) => ({
    target: a.target,
    raisedAt: a.raisedAt,
    updatedAt: a.updatedAt,
    message: a.message,
    missingCount: a.missing.length,
    missing: a.missing.slice(0, MISSING_SHOWN),
    detail: a.detail,
    acknowledge: acceptLossCommand(a.target),
  }));
  const lastVerify = status.lastVerify;
  const repo = ctx.config.restic.repository;
  const disk = isLocalRepository(repo) ? repoDisk(repo) : undefined;
  const data = {
    type: "status",
    repository: status.repository,
    alarms,
    copies: status.copies,
    lock,
    pendingRecovery: pending,
    pendingDeletions,
    disk,
    stacks,
    lastVerify,
    verification: status.verification,
    catalog,
    lastRun: status.lastRun,
  };

  env.printer.result(data, () => {
    const lines = [
      `repository: ${ctx.config.restic.repository} · ${catalog.snapshots} snapshot(s) in the catalog${catalog.refreshedAt ? ` (read ${format.when(catalog.refreshedAt)})` : ""}`,
    ];
    for (const w of status.warnings) if (w.kind === "tamper") lines.push(w.message);
    if (disk)
      lines.push(
        `on disk: ${format.bytes(disk.repoBytes)}${ctx.config.space.maxRepoSize ? ` (MAX_REPO_SIZE ${ctx.config.space.maxRepoSize})` : ""}; filesystem ${disk.freePercent.toFixed(0)}% free${ctx.config.space.minFreePercent !== undefined ? ` (MIN_FREE_PERCENT ${ctx.config.space.minFreePercent}%)` : ""}`,
      );
    lines.push(
      lock
        ? `lock: held by pid ${lock.pid} on ${lock.host} (${lock.command})${lock.alive ? "" : " — that process is gone"}`
        : "lock: free",
    );
    lines.push(
      pending.length
        ? `PENDING RECOVERY: ${pending.map((p) => `${p.stack} (${p.containers.join(", ")})`).join("; ")} — run \`${btui("recover")}\``
        : "pending recovery: none",
    );
    if (pendingDeletions.length) {
      lines.push(`PENDING DELETIONS (space limits; cancel with \`${btui("prune --cancel")}\`):`);
      for (const p of pendingDeletions)
        lines.push(`  ${p.shortId} ${p.stack ?? "-"} ${format.when(p.time)} — forgotten after ${format.when(p.dueAt)}`);
    }
    const v = status.verification;
    lines.push(
      v
        ? `last verify: ${format.when(v.at)} ${v.level}${v.part ? ` ${v.part}` : ""} ${v.ok ? "OK" : "FAILED"}${v.ok ? "" : ` — ${(v.detail ?? "").split("\n")[0]}`}`
        : lastVerify
          ? `last verify: ${format.when(lastVerify.startedAt)} ${lastVerify.status}`
          : "last verify: never",
    );
    if (stacks.length) {
      lines.push(
        table(
          ["STACK", "LAST GOOD", "AGE", "LAST RESULT", "NEXT RUN", "RESTORE PROVED", ""],
          stacks.map((s) => [
            s.stack,
            format.when(s.lastGood),
            s.ageMs === undefined ? "-" : format.age(s.ageMs),
            s.status ?? "-",
            s.next ? format.when(s.next) : "not scheduled",
            s.verified
              ? `${format.age(now.getTime() - Date.parse(s.verified.at))} ago ${s.verified.ok ? "ok" : "FAILED"}`
              : "never",
            s.overdue ? "OVERDUE" : "",
          ]),
        ),
      );
    }
    if (status.copies.length)
      lines.push(
        table(
          ["COPY", "MODE", "WHERE", "LAST GOOD SYNC", "SNAPSHOTS", "LAST RESULT", "THIS HOST CAN ERASE IT"],
          status.copies.map((c) => [
            c.target,
            c.mode,
            c.where,
            c.lastGood ? format.when(c.lastGood.at) : "never",
            c.lastGood ? String(c.lastGood.snapshots) : "-",
            c.alarm ? "TAMPER ALARM" : (c.last?.status ?? "never synced"),
            c.probe
              ? `${ERASE_WORD[c.probe.verdict] ?? c.probe.verdict} (doctor, ${format.age(now.getTime() - Date.parse(c.probe.at))} ago)`
              : "not probed: run doctor",
          ]),
        ),
      );
    if (data.lastRun) lines.push(`last run: #${data.lastRun.id} ${data.lastRun.kind} ${data.lastRun.status}`);
    return lines.join("\n");
  });
  return statusExitCode(status);
}

/** The probe's verdict as an answer to "can this host erase it?". */
const ERASE_WORD: Record<string, string> = {
  erasable: "YES",
  partly: "overwrite only",
  protected: "no",
  unknown: "unknown",
};

/** A local repository's size and its filesystem's free share; undefined before it exists. */
function repoDisk(repo: string): { repoBytes: number; freePercent: number } | undefined {
  try {
    const bytes = localRepoBytes(repo.replace(/^local:/i, ""));
    return bytes === undefined ? undefined : { repoBytes: bytes, freePercent: freeSpace(repo).percent };
  } catch {
    return undefined;
  }
}
