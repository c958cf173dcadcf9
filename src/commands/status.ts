import { openContext, type CommandEnv } from "../app";
import { readOwner } from "../state/lock";
import { isAlive } from "../state/process-info";

export async function run(env: CommandEnv): Promise<number> {
  const ctx = openContext(env);
  const holder = readOwner(ctx.config.stateDir, ctx.config.restic.repository);
  const lock = holder ? { ...holder, alive: holder.host !== ctx.owner.host || isAlive(holder.pid, holder.pidStart) } : undefined;
  const pending = ctx.journal.list().map((e) => ({ stack: e.stack, containers: e.containers.map((c) => c.name), pid: e.owner.pid, alive: isAlive(e.owner.pid, e.owner.pidStart) }));
  const last = [...ctx.store.lastBackups()].map(([stack, v]) => ({ stack, last: v.last.startedAt, status: v.last.status, lastGood: v.lastGood?.startedAt }));
  const data = { type: "status", repository: ctx.config.restic.repository, lock, pendingRecovery: pending, stacks: last, lastRun: ctx.store.recentRuns(1)[0] };
  env.printer.result(data, () => {
    const lines = [`repository: ${ctx.config.restic.repository}`];
    lines.push(lock ? `lock: held by pid ${lock.pid} on ${lock.host} (${lock.command})${lock.alive ? "" : " — that process is gone"}` : "lock: free");
    lines.push(pending.length ? `PENDING RECOVERY: ${pending.map((p) => `${p.stack} (${p.containers.join(", ")})`).join("; ")} — run \`backup-tui recover\`` : "pending recovery: none");
    for (const s of last) lines.push(`${s.stack}: last ${s.last.slice(0, 16).replace("T", " ")} ${s.status}; last good ${s.lastGood?.slice(0, 16).replace("T", " ") ?? "never"}`);
    if (data.lastRun) lines.push(`last run: #${data.lastRun.id} ${data.lastRun.kind} ${data.lastRun.status}`);
    return lines.join("\n");
  });
  return pending.some((p) => !p.alive) ? 4 : 0;
}
