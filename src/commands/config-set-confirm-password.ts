import { readFileSync } from "node:fs";
import { readConfig, type CommandEnv } from "../app";
import { setIniValue } from "../config/edit";
import { ConfigError, UsageError } from "../errors";
import { hashConfirmPassword } from "../security/confirm-hash";
import { ask, interactive } from "./prompt";

export async function run(env: CommandEnv, o: { passwordFile?: string }): Promise<number> {
  const config = readConfig(env.globals);
  const file = config.source.file;
  if (!file) throw new ConfigError("there is no config file to store the hash in (the embedded default is in use)", "Write one with `backup-tui init`, then run this again.");
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
    if ((await ask("again: ", true)) !== password) throw new UsageError("the two entries differ; nothing was changed");
  }
  if (password.length < 8) throw new UsageError("the confirmation password must have at least 8 characters; nothing was changed");
  setIniValue(file, "security", "CONFIRM_PASSWORD_HASH", hashConfirmPassword(password));
  env.printer.result({ type: "confirm-password-set", file }, () => `confirmation password set (scrypt hash in [security] of ${file}); restore over live data, delete, forget and prune now ask for it`);
  return 0;
}
