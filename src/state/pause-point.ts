import { writeFileSync } from "node:fs";

/**
 * A test hook (fault injection, docs/TESTING: "a test hook env var that makes the process pause at
 * a named step"): when BACKUP_TUI_TEST_PAUSE_AT names this step, the process writes its pid to
 * BACKUP_TUI_TEST_PAUSE_MARKER and waits forever, so a test can kill -9 it exactly there. It only
 * ever waits: it changes nothing that is written or deleted.
 */
export async function pausePoint(step: string): Promise<void> {
  if (process.env.BACKUP_TUI_TEST_PAUSE_AT !== step) return;
  const marker = process.env.BACKUP_TUI_TEST_PAUSE_MARKER;
  if (marker) writeFileSync(marker, `${process.pid}\n`);
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
}
