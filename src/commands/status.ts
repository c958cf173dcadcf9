import { btui } from "../command-hint";
import { openContext, type CommandEnv } from "../app";
import { DirlistFile } from "../docker/dirlist";
import { ExitCode } from "../errors";
import { format, table } from "../output";
import { localRepoBytes } from "../fsops/repo-files";
import { stacksDue } from "../schedule/due";
import { freeSpace, isLocalRepository } from "../services/retention/space-budget";
import { readOwner } from "../state/lock";
import { isAlive } from "../state/process-info";

/**
 * One look at the host's backups, from local state only (no repository access): per stack the
 * last good backup and its age, the next scheduled run, overdue flags; the last verify; the
 * catalog's snapshot count; deletions pending for space; the lock holder; a pending recovery.
 * Exit 4 when containers a dead run stopped are still down, 1 when a stack is overdue or the last
 * verification (of the repository, or of a stack's restore) failed.
 */
export async function run(env: CommandEnv): Promise<number> {
  const ctx = openContext(env);
  const now = new Date();
  const holder = readOwner(ctx.config.stateDir, ctx.config.restic.repository);
  const lock = holder
    ? { ...holder, alive: holder.host !== ctx.owner.host || isAlive(holder.pid, holder.pidStart) }
    : undefined;
  const pending = ctx.journal.list().map((e) => ({
    stack: e.stack,
    containers: [
      ...e.containers.map((c) => c.name),
      ...(e.fsSnapshots ?? []).map((f) => `${f.provider} snapshot ${f.path}`),
    ],
    pid: e.owner.pid,
    alive: isAlive(e.owner.pid, e.owner.pidStart),
  }));
  const lastBackups = ctx.store.lastBackups();
  const verified = ctx.store.verifications.latest(ctx.config.restic.repository);
  const enabled = new DirlistFile(ctx.config.dirlistFile).enabledKeys();
  const due = new Map(stacksDue(ctx.config, enabled, lastBackups, now).map((d) => [d.stack, d]));
  const stacks = [...new Set([...lastBackups.keys(), ...due.keys(), ...verified.stacks.keys()])].sort().map((stack) => {
    const l = lastBackups.get(stack);
    const d = due.get(stack);
    return {
      stack,
      last: l?.last.startedAt,
      status: l?.last.status,
      lastGood: l?.lastGood?.startedAt,
      ageMs: l?.lastGood ? now.getTime() - Date.parse(l.lastGood.startedAt) : undefined,
      next: d?.next,
      schedule: d?.schedule,
      overdue: d?.overdue ?? false,
      verified: verified.stacks.get(stack),
    };
  });
  const lastVerify = ctx.store.runs({ kind: "verify", limit: 1 })[0];
  const catalog = { snapshots: ctx.store.catalog.count(), refreshedAt: ctx.store.catalog.refreshedAt() };
  const pendingDeletions = ctx.store.pendingDeletions();
  const repo = ctx.config.restic.repository;
  const disk = isLocalRepository(repo) ? repoDisk(repo) : undefined;
  const data = {
    type: "status",
    repository: ctx.config.restic.repository,
    lock,
    pendingRecovery: pending,
    pendingDeletions,
    disk,
    stacks,
    lastVerify,
    verification: verified.repository,
    catalog,
    lastRun: ctx.store.recentRuns(1)[0],
  };

  env.printer.result(data, () => {
    const lines = [
      `repository: ${ctx.config.restic.repository} · ${catalog.snapshots} snapshot(s) in the catalog${catalog.refreshedAt ? ` (read ${format.when(catalog.refreshedAt)})` : ""}`,
    ];
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
    const v = verified.repository;
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
    if (data.lastRun) lines.push(`last run: #${data.lastRun.id} ${data.lastRun.kind} ${data.lastRun.status}`);
    return lines.join("\n");
  });
  if (pending.some((p) => !p.alive)) return ExitCode.serviceDown;
  const verifyFailed =
    (verified.repository && !verified.repository.ok) || stacks.some((s) => s.verified && !s.verified.ok);
  return stacks.some((s) => s.overdue) || verifyFailed ? ExitCode.failed : ExitCode.ok;
}

/** A local repository's size and its filesystem's free share; undefined before it exists. */
function repoDisk(repo: string): { repoBytes: number; freePercent: number } | undefined {
  try {
    const bytes = localRepoBytes(repo.replace(/^local:/i, ""));
    return bytes === undefined ? undefined : { repoBytes: bytes, freePercent: freeSpace(repo).percent };
  } catch {
    return undefined;
  }
}
