const NAME = "BACKUP_TUI_CONFIRM_PASSWORD";
let taken: { value: string | undefined } | undefined;

/**
 * BACKUP_TUI_CONFIRM_PASSWORD, taken out of process.env the first time it is asked for (main does
 * so at start-up): nothing started later (compose filling `${BACKUP_TUI_CONFIRM_PASSWORD}`, a hook,
 * a library reading process.env) can find it there. The runner never hands it on either (child-env.ts).
 */
export function confirmPasswordFromEnv(): string | undefined {
  if (!taken) {
    taken = { value: process.env[NAME] };
    delete process.env[NAME];
  }
  return taken.value;
}
