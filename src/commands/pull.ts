import { btui, shellQuote } from "../command-hint";
import { exeDir, openContext, type CommandEnv } from "../app";
import { locateConfig } from "../config/locate";
import type { Config } from "../config/types";
import { pullLines } from "../reports/pull";
import type { StackSummary } from "../services/sync/pull";
import { pullJob } from "../usecases/pull";
import { jobHooks } from "./job-hooks";

/** `restore [PATH]` without --stack/--volume: stage 3, the repository pulled back from the cloud. */
export async function pull(
  env: CommandEnv,
  path: string | undefined,
  o: { force?: boolean; from?: string; wait?: string },
): Promise<number> {
  const ctx = openContext(env);
  const r = await pullJob(ctx, { path, force: o.force, from: o.from }, jobHooks(env, ctx, o.wait));
  const steps = nextSteps(ctx.config, r.path, r.stacks, process.env);
  env.printer.result({ type: "pull", ...r, nextSteps: steps.commands }, () => pullLines(r, steps).join("\n"));
  return r.exitCode;
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
