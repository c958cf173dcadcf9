import { openContext, type CommandEnv } from "../app";
import { parseDuration } from "../duration";
import { when } from "../format";
import { removeAllLocks } from "../services/run/unlock";
import { confirmDestructive, type GuardOptions } from "./guard";

export async function run(env: CommandEnv, o: GuardOptions & { removeAll?: boolean; wait?: string }): Promise<number> {
  const ctx = openContext(env);
  if (!o.removeAll) {
    // restic removes only locks it can tell are stale (dead holder on this host, or unrefreshed).
    await ctx.restic.unlock({ signal: env.signal });
    env.printer.result({ type: "unlock", removeAll: false }, () => "removed stale restic locks");
    return 0;
  }
  await confirmDestructive(
    env,
    ctx.config,
    ctx.log,
    `remove every restic lock of ${ctx.config.restic.repository}, live ones included`,
    o,
  );
  const waitMs = o.wait ? parseDuration(o.wait, "--wait") : 0;
  const r = await removeAllLocks(ctx, { waitMs, onWait: (m) => env.printer.info(m), signal: env.signal });
  ctx.log.warn({ removed: r.removed }, "removed every restic lock");
  env.printer.result({ type: "unlock", removeAll: true, ...r }, () =>
    [
      `removed every restic lock (${r.removed.length + r.unreadable.length})`,
      ...r.removed.map(
        (l) =>
          `  ${l.id.slice(0, 8)} ${l.exclusive ? "exclusive" : "shared"} PID ${l.pid} on ${l.hostname} since ${when(l.time, true)}`,
      ),
      ...r.unreadable.map((id) => `  ${id.slice(0, 8)} (unreadable: no holder to check)`),
    ].join("\n"),
  );
  return 0;
}
