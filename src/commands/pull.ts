import { resolve } from "node:path";
import { eventSink, openContext, type CommandEnv } from "../app";
import { table } from "../output";
import { pullRepository } from "../services/pull";
import { withRepoLock } from "./locked";
import { retryBase, stallTimeout } from "./sync";

/** `restore [PATH]` without --stack/--volume: stage 3, the repository pulled back from the cloud. */
export async function pull(env: CommandEnv, path: string | undefined, o: { force?: boolean; wait?: string }): Promise<number> {
  const ctx = openContext(env);
  const target = path ? resolve(path) : undefined;
  const lockCtx = target ? { ...ctx, config: { ...ctx.config, restic: { ...ctx.config.restic, repository: target } } } : ctx;
  return withRepoLock(lockCtx, env, o.wait, async () => {
    const r = await pullRepository(ctx, { path: target, force: o.force, retryBaseMs: retryBase(), stallTimeoutMs: stallTimeout(), signal: env.signal }, eventSink(env, ctx));
    env.printer.result({ type: "pull", ...r }, () => {
      const lines = [`pulled ${r.remote} into ${r.path} (${r.transfer?.copied ?? 0} file(s) copied${r.attempts > 1 ? `, ${r.attempts} attempts` : ""})`];
      lines.push(r.checkOk ? "the repository opens with the configured password and passes `restic check`" : `RESTIC CHECK FAILED on the pulled repository:\n${r.checkOutput ?? ""}`);
      if (r.stacks.length) {
        lines.push("", table(["STACK", "HOST", "SNAPSHOTS", "LATEST"], r.stacks.map((s) => [s.stack, s.host, String(s.snapshots), s.latest.slice(0, 16).replace("T", " ")])));
        const repoFlag = target && target !== ctx.config.restic.repository ? `BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY=${r.path} ` : "";
        lines.push("", "Next steps (each asks for confirmation; add --dry-run to preview):");
        for (const s of r.stacks) lines.push(`  ${repoFlag}backup-tui restore --stack ${s.stack} --host ${s.host}${s.host === ctx.config.hostname ? "" : ""} --yes`);
      } else lines.push("no stack snapshots in it");
      return lines.join("\n");
    });
    return r.exitCode;
  });
}
