import { btui } from "../command-hint";
import { readFileSync } from "node:fs";
import type { CommandEnv } from "../app";
import type { Config } from "../config/types";
import { UsageError } from "../errors";
import type { Logger } from "../log";
import { confirmPasswordFromEnv } from "../security/confirm-env";
import { verifyConfirmPassword } from "../security/confirm-hash";
import { ask, interactive } from "./prompt";

export interface GuardOptions {
  yes?: boolean;
  confirmPasswordFile?: string;
}

/**
 * The gate before a destructive action: a yes/no (or --yes), then the confirmation password
 * checked against CONFIRM_PASSWORD_HASH. Headless it never prompts: --yes plus
 * --confirm-password-file or BACKUP_TUI_CONFIRM_PASSWORD, or it refuses (exit 2).
 */
export async function confirmDestructive(
  env: CommandEnv,
  config: Config,
  log: Logger,
  what: string,
  o: GuardOptions,
): Promise<void> {
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
  const hash = config.security.confirmPasswordHash?.reveal();
  if (!hash) {
    env.printer.warn(
      `no confirmation password is set; anyone who can run backup-tui can do this. Set one with \`${btui("config set-confirm-password")}\`.`,
    );
    return;
  }
  let password: string | undefined;
  const fromEnv = confirmPasswordFromEnv();
  if (o.confirmPasswordFile) {
    try {
      password = readFileSync(o.confirmPasswordFile, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new UsageError(
        `cannot read --confirm-password-file ${o.confirmPasswordFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
  } else if (fromEnv !== undefined) {
    password = fromEnv;
  } else if (tty) {
    password = await ask("confirmation password: ", true);
  } else {
    throw new UsageError(
      `refusing to ${what}: a confirmation password is required`,
      "Pass --confirm-password-file FILE or set BACKUP_TUI_CONFIRM_PASSWORD.",
    );
  }
  if (!verifyConfirmPassword(password, hash)) {
    log.warn({ action: what, user: process.env.SUDO_USER ?? process.env.USER }, "refused: wrong confirmation password");
    throw new UsageError("wrong confirmation password; nothing was changed");
  }
  log.info({ action: what }, "confirmed destructive action");
}
