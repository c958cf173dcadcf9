import { resolve } from "node:path";
import { btui, shellQuote } from "../command-hint";
import { eventSink, exeDir, openContext, type CommandEnv } from "../app";
import { locateConfig } from "../config/locate";
import type { Config } from "../config/types";
import { table } from "../output";
import { pullRepository, type StackSummary } from "../services/sync/pull";
import { withRepoLock } from "./locked";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";

/** `restore [PATH]` without --stack/--volume: stage 3, the repository pulled back from the cloud. */
export async function pull(
  env: CommandEnv,
  path: string | undefined,
  o: { force?: boolean; wait?: string },
): Promise<number> {
  const ctx = openContext(env);
  const target = path ? resolve(path) : undefined;
  const lockCtx = target
    ? { ...ctx, config: { ...ctx.config, restic: { ...ctx.config.restic, repository: target } } }
    : ctx;
  return withRepoLock(lockCtx, env, o.wait, async () => {
    const r = await pullRepository(
      ctx,
      { path: target, force: o.force, retryBaseMs: retryBase(), stallTimeoutMs: stallTimeout(), signal: env.signal },
      eventSink(env, ctx),
    );
    const steps = nextSteps(ctx.config, r.path, r.stacks, process.env);
    env.printer.result({ type: "pull", ...r, nextSteps: steps.commands }, () => {
      const lines = [
        `pulled ${r.remote} into ${r.path} (${r.transfer?.copied ?? 0} file(s) copied${r.attempts > 1 ? `, ${r.attempts} attempts` : ""})`,
      ];
      lines.push(
        r.checkOk
          ? "the repository opens with the configured password and passes `restic check`"
          : `RESTIC CHECK FAILED on the pulled repository:\n${r.checkOutput ?? ""}`,
      );
      if (r.stacks.length) {
        lines.push(
          "",
          table(
            ["STACK", "HOST", "SNAPSHOTS", "LATEST"],
            r.stacks.map((s) => [s.stack, s.host, String(s.snapshots), s.latest.slice(0, 16).replace("T", " ")]),
          ),
        );
        lines.push(
          "",
          "Next steps (each asks for confirmation; add --dry-run to preview):",
          ...steps.commands.map((c) => `  ${c}`),
          ...steps.notes,
        );
      } else lines.push("no stack snapshots in it");
      return lines.join("\n");
    });
    return r.exitCode;
  });
}

/**
 * The restore commands to run next, written to work when pasted into a new shell: with the
 * config file this run read (unless the default search finds it anyway), the pulled path as
 * the repository when it is not the configured one, and the state directory and password
 * file given through the environment. A password value or command from the environment is
 * never printed: a note says to keep it set.
 */
export function nextSteps(
  config: Config,
  pulledPath: string,
  stacks: StackSummary[],
  environ: NodeJS.ProcessEnv,
  defaultConfig = locateConfig({ env: {}, exeDir: exeDir(), cwd: "/nonexistent" }),
): { commands: string[]; notes: string[] } {
  const vars: string[] = [];
  const notes: string[] = [];
  if (environ.BACKUP_TUI_STATE_DIR) vars.push(`BACKUP_TUI_STATE_DIR=${shellQuote(config.stateDir)}`);
  if (pulledPath !== config.restic.repository || environ.BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY)
    vars.push(`BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY=${shellQuote(pulledPath)}`);
  const pw = config.restic.password;
  if (pw.kind !== "none" && pw.origin.startsWith("environment")) {
    const variable = pw.origin.replace(/^environment /, "");
    if (pw.kind === "file") vars.push(`BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_FILE=${shellQuote(pw.path)}`);
    else notes.push(`Keep ${variable} set in the environment as for this run: the repository password comes from it.`);
  }
  const file = config.source.file;
  const named = file && file !== defaultConfig ? file : undefined; // the file this run read, unless the default search finds it anyway
  const prefix = vars.length ? `${vars.join(" ")} ` : "";
  const commands = stacks.map(
    (s) => `${prefix}${btui(`restore --stack ${shellQuote(s.stack)} --host ${shellQuote(s.host)}`, { config: named })}`,
  );
  return { commands, notes };
}
