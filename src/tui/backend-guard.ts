import { btui } from "../command-hint";
import { verifyConfirmPassword } from "../security/confirm-hash";
import type { ServiceContext } from "../services/run/context";

/**
 * The confirmation password against CONFIRM_PASSWORD_HASH, logged as the CLI's guard logs it. The
 * confirmation screen checks it, then the run checks it again (again): only the first says "confirmed".
 */
export function checkConfirmPassword(ctx: ServiceContext, password: string, action: string, again = false): boolean {
  const ok = verifyConfirmPassword(password, ctx.config.security.confirmPasswordHash?.reveal() ?? "");
  if (ok && !again) ctx.log.info({ action }, "confirmed destructive action");
  else if (!ok)
    ctx.log.warn({ action, user: process.env.SUDO_USER ?? process.env.USER }, "refused: wrong confirmation password");
  return ok;
}

/** The CLI's warning when no confirmation password is set. */
export const unguardedWarning = () =>
  `no confirmation password is set; anyone who can run backup-tui can do this. Set one with \`${btui("config set-confirm-password")}\`.`;
