import { btui } from "../command-hint";
import { readFileSync } from "node:fs";
import { ensureStateDir, openLogger, readConfig, type CommandEnv } from "../app";
import { setIniValue } from "../config/edit";
import { ConfigError, UsageError } from "../errors";
import { hashConfirmPassword } from "../security/confirm-hash";
import { confirmDestructive } from "./guard";
import { ask, interactive } from "./prompt";

/** What a new confirmation password must be; undefined when it is fine. Checked before it is asked again. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 8) return "the confirmation password must have at least 8 characters";
  if (/[\r\n]/.test(password)) return "the confirmation password must be one line";
  return undefined;
}

export async function run(
  env: CommandEnv,
  o: { passwordFile?: string; confirmPasswordFile?: string },
): Promise<number> {
  const config = readConfig(env.globals);
  const file = config.source.file;
  if (!file)
    throw new ConfigError(
      "there is no config file to store the hash in (the embedded default is in use)",
      `Write one with \`${btui("init")}\`, then run this again.`,
    );
  // Replacing the gate is itself behind the gate: the current password first (the guard's own ways: terminal, file, variable).
  if (config.security.confirmPasswordHash) {
    ensureStateDir(config);
    await confirmDestructive(env, config, openLogger(config, env.globals), "replace the confirmation password", {
      yes: true,
      confirmPasswordFile: o.confirmPasswordFile,
    });
  }
  const refuse = (problem: string) => new UsageError(`${problem}; nothing was changed`);
  let password: string;
  if (o.passwordFile) {
    try {
      password = readFileSync(o.passwordFile, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new UsageError(`cannot read ${o.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  } else {
    if (!interactive()) throw new UsageError("no terminal to read the new password from", "Pass --password-file FILE.");
    password = await ask("new confirmation password: ", true);
    const problem = passwordProblem(password);
    if (problem) throw refuse(problem);
    if ((await ask("again: ", true)) !== password) throw refuse("the two entries differ");
  }
  const problem = passwordProblem(password);
  if (problem) throw refuse(problem);
  setIniValue(file, "security", "CONFIRM_PASSWORD_HASH", hashConfirmPassword(password));
  env.printer.result(
    { type: "confirm-password-set", file },
    () =>
      `confirmation password set (scrypt hash in [security] of ${file}); restore over live data, delete, forget and prune now ask for it`,
  );
  return 0;
}
