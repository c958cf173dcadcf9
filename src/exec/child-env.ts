/**
 * What of our environment a child process sees: decided here, for every child the runner starts.
 *
 * A child gets our whole environment (PATH, HOME, DOCKER_*, COMPOSE_*, proxies, the user's own
 * variables: what tools and compose interpolation legitimately read) minus the secret-bearing
 * variable families it does not use. A compose file's `${RESTIC_PASSWORD}` or a hook's `env` then
 * sees nothing of restic's, rclone's or our own credentials. The confirmation password reaches no
 * child at all. Variables a caller passes explicitly (RunOptions.env) are added after this filter.
 */

/** Families of variables that carry credentials (or name where they are). */
type Family = "restic" | "rclone" | "cloud" | "backup-tui";

const FAMILY: Record<Family, (name: string) => boolean> = {
  // RESTIC_PASSWORD*, RESTIC_REPOSITORY (a rest: URL may hold user:pass), RESTIC_REST_PASSWORD, ...
  restic: (n) => n.startsWith("RESTIC_"),
  // RCLONE_CONFIG_PASS, RCLONE_CONFIG_<REMOTE>_PASS/_KEY/_TOKEN, RCLONE_PASSWORD_COMMAND, ...
  rclone: (n) => n.startsWith("RCLONE_"),
  // Cloud credentials restic's backends and rclone's env_auth read: S3, B2, Azure, GCS, Swift.
  cloud: (n) => /^(AWS|B2|AZURE|GOOGLE|OS)_/.test(n) || n === "ST_AUTH" || n === "ST_USER" || n === "ST_KEY",
  // Our own settings: config overrides (BACKUP_TUI_NOTIFY_WEBHOOK_URL, ..._RESTIC_PASSWORD), paths.
  "backup-tui": (n) => n.startsWith("BACKUP_TUI_"),
};

/** Read once at start-up (src/security/confirm-env.ts) and never handed on. */
const NEVER = new Set(["BACKUP_TUI_CONFIRM_PASSWORD"]);

/** Who the child is, as far as secrets go. */
export type ChildKind =
  /** Anything else: docker, compose, hooks, dump scripts, du, btrfs, systemctl. */
  | "tool"
  | "restic"
  /** restic with an rclone: repository: it starts rclone itself. */
  | "restic-rclone"
  | "rclone"
  /** backup-tui itself (the daemon's jobs): it reads every family, as we do. */
  | "backup-tui";

const USES: Record<ChildKind, readonly Family[]> = {
  tool: [],
  restic: ["restic", "cloud"],
  "restic-rclone": ["restic", "cloud", "rclone"],
  rclone: ["rclone", "cloud"],
  "backup-tui": ["restic", "rclone", "cloud", "backup-tui"],
};

/** True when a child of this kind may inherit the variable. */
export function childMayInherit(kind: ChildKind, name: string): boolean {
  if (NEVER.has(name)) return false;
  const family = (Object.keys(FAMILY) as Family[]).find((f) => FAMILY[f](name));
  return !family || USES[kind].includes(family);
}

/**
 * The complete environment for a child: what it may inherit of `parent`, then `extra`
 * (a caller's own variables; undefined deletes one).
 */
export function childEnvironment(
  kind: ChildKind,
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && childMayInherit(kind, name)) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
