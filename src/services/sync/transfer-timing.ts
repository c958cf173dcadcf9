// Timing of remote transfers (sync, pull, the disaster pull) that tests shorten through the
// environment; the CLI and the TUI read them here alike.

/** Backoff base for retries; BACKUP_TUI_RETRY_BASE_MS shortens it (tests). */
export function retryBase(): number | undefined {
  const v = Number(process.env.BACKUP_TUI_RETRY_BASE_MS);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** How long rclone may make no progress before the attempt is given up; BACKUP_TUI_RCLONE_STALL_MS shortens it (tests). */
export function stallTimeout(): number | undefined {
  const v = Number(process.env.BACKUP_TUI_RCLONE_STALL_MS);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}
