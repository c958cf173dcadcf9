import { readFileSync } from "node:fs";
import type { CommandEnv } from "../app";
import type { Config } from "../config/types";
import { UsageError } from "../errors";
import type { Logger } from "../log";
import {
  checkConfirmPassword,
  confirmWithoutPassword,
  passwordMissing,
  passwordRequired,
  unguardedWarning,
  wrongPassword,
  type Confirmed,
} from "../security/confirm";
import { confirmPasswordFromEnv } from "../security/confirm-env";
import { ask, interactive } from "./prompt";

export interface GuardOptions {
  yes?: boolean;
  confirmPasswordFile?: string;
}

/**
 * The gate before a destructive action: a yes/no (or --yes), then the confirmation password
 * (src/security/confirm.ts checks and logs it). Headless it never prompts: --yes plus
 * --confirm-password-file or BACKUP_TUI_CONFIRM_PASSWORD, or it refuses (exit 2). The Confirmed
 * it returns is what a guarded use case asks for.
 */
export async function confirmDestructive(
  env: CommandEnv,
  config: Config,
  log: Logger,
  what: string,
  o: GuardOptions,
): Promise<Confirmed> {
  const tty = interactive();
  if (!o.yes) {
    if (!tty)
      throw new UsageError(
        `refusing to ${what} without confirmation (no terminal to ask on)`,
        "Pass --yes, plus --confirm-password-file FILE when a confirmation password is set.",
      );
    const answer = (await ask(`${what}? [y/N] `)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") throw new UsageError("not confirmed; nothing was changed");
  }
  if (!passwordRequired(config)) {
    env.printer.warn(unguardedWarning());
    return confirmWithoutPassword({ config, log }, what);
  }
  const confirmed = checkConfirmPassword({ config, log }, what, await password(o, what, tty));
  if (!confirmed) throw wrongPassword();
  return confirmed;
}

/** --confirm-password-file, else BACKUP_TUI_CONFIRM_PASSWORD, else a prompt on the terminal. */
async function password(o: GuardOptions, what: string, tty: boolean): Promise<string> {
  const fromEnv = confirmPasswordFromEnv(); // taken out of process.env whichever is used
  if (o.confirmPasswordFile) {
    try {
      return readFileSync(o.confirmPasswordFile, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new UsageError(
        `cannot read --confirm-password-file ${o.confirmPasswordFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
  }
  if (fromEnv !== undefined) return fromEnv;
  if (tty) return ask("confirmation password: ", true);
  throw passwordMissing(what, "Pass --confirm-password-file FILE or set BACKUP_TUI_CONFIRM_PASSWORD.");
}
