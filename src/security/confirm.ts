import { btui } from "../command-hint";
import type { Config } from "../config/types";
import { UsageError } from "../errors";
import type { Logger } from "../log";
import { verifyConfirmPassword } from "./confirm-hash";

/**
 * The one confirmation check of every destructive action (CLI and TUI): whether a password is
 * required, the password against CONFIRM_PASSWORD_HASH, and the log lines ("refused: wrong
 * confirmation password" with the action and the user, "confirmed destructive action").
 * Gathering the answer (a prompt, --confirm-password-file, BACKUP_TUI_CONFIRM_PASSWORD, a TUI
 * field) is the face's; deciding is this module's.
 */

/** Proof that an action was confirmed: only this module makes one (a copy or a literal is refused). */
export interface Confirmed {
  readonly action: string;
  /** A confirmation password was set and matched; false: none is set (the yes/no was enough). */
  readonly guarded: boolean;
}

/**
 * What a guarded use case is given: a Confirmed (the CLI's guard checked it), or the password as
 * typed (the TUI); again: the confirmation screen checked it already, a match is not logged twice.
 */
export type Confirmation = Confirmed | { password: string | undefined; again?: boolean };

export interface ConfirmContext {
  config: Config;
  log: Logger;
}

const issued = new WeakSet<Confirmed>();

function issue(action: string, guarded: boolean): Confirmed {
  const c = Object.freeze({ action, guarded });
  issued.add(c);
  return c;
}

/** CONFIRM_PASSWORD_HASH is set: every destructive action needs the password. */
export function passwordRequired(config: Config): boolean {
  return !!config.security.confirmPasswordHash?.reveal();
}

/** Said when no confirmation password is set (the CLI warns, the TUI shows it). */
export const unguardedWarning = (): string =>
  `no confirmation password is set; anyone who can run backup-tui can do this. Set one with \`${btui("config set-confirm-password")}\`.`;

/** No password is set: the yes (or --yes) confirms. Refused when one is set. */
export function confirmWithoutPassword(c: ConfirmContext, action: string): Confirmed {
  if (passwordRequired(c.config)) throw passwordMissing(action);
  return issue(action, false);
}

/**
 * The password against the hash: a match is logged "confirmed destructive action" (unless again),
 * a mismatch "refused: wrong confirmation password" with the action and the user, once per check.
 * No password set: every password confirms (as the yes/no does).
 */
export function checkConfirmPassword(
  c: ConfirmContext,
  action: string,
  password: string,
  o: { again?: boolean } = {},
): Confirmed | undefined {
  const hash = c.config.security.confirmPasswordHash?.reveal();
  if (!hash) return issue(action, false);
  if (!verifyConfirmPassword(password, hash)) {
    c.log.warn({ action, user: process.env.SUDO_USER ?? process.env.USER }, "refused: wrong confirmation password");
    return undefined;
  }
  if (!o.again) c.log.info({ action }, "confirmed destructive action");
  return issue(action, true);
}

/**
 * The guard of a use case: a Confirmed made here for this action (it may name more: "…, replacing
 * /srv/x"), or a password that matches (any, or none, when no password is set). Anything else —
 * no confirmation at all, a forged or foreign one — is refused (exit 2) before anything is done.
 */
export function requireConfirmation(c: ConfirmContext, action: string, given: Confirmation | undefined): Confirmed {
  if (given && "action" in given) {
    if (!issued.has(given) || !given.action.startsWith(action))
      throw new UsageError(`refusing to ${action}: the confirmation given is not for it`);
    if (!given.guarded && passwordRequired(c.config)) throw passwordMissing(action);
    return given;
  }
  if (!given) throw new UsageError(`refusing to ${action} without confirmation`);
  if (!passwordRequired(c.config)) return issue(action, false);
  if (given.password === undefined) throw passwordMissing(action);
  const ok = checkConfirmPassword(c, action, given.password, { again: given.again });
  if (!ok) throw wrongPassword();
  return ok;
}

export function passwordMissing(action: string, hint?: string): UsageError {
  return new UsageError(`refusing to ${action}: a confirmation password is required`, hint);
}

export const wrongPassword = (): UsageError => new UsageError("wrong confirmation password; nothing was changed");
