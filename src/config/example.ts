// The config reference, rendered from the key table (the schema: keys.ts, schema/*.ts). The same text
// is config.example.ini (written by scripts/gen-config-example.ts) and what `backup-tui config example`
// prints. The table comes in as an argument: this module imports nothing at run time.
import type { KeyDef } from "./keys";

/** Values shown for keys whose definition has neither a default nor an example. */
const EXTRA_EXAMPLES: Record<string, string> = {
  "local_backup.RESTIC_PASSWORD": "change-me",
  "local_backup.RESTIC_PASSWORD_COMMAND": "pass show backup/restic",
  "local_backup.HOSTNAME": "host1",
  "local_backup.KEEP_LAST": "10",
  "local_backup.KEEP_HOURLY": "24",
  "local_backup.KEEP_WITHIN": "14d",
  "local_backup.DIRLIST_FILE": "/etc/backup-tui/dirlist",
  "local_backup.COMPRESSION": "auto",
  "local_backup.MAX_REPO_SIZE": "500G",
  "local_backup.MIN_FREE_PERCENT": "10",
  "local_backup.NOTIFY_BEFORE_DELETE": "24h",
  "cloud_sync.BANDWIDTH": "10M",
  "cloud_sync.BANDWIDTH_LIMIT": "10M",
  "schedule.SYNC": "30 4 * * *",
  "schedule.VERIFY": "0 5 * * 0",
  "schedule.PRUNE": "0 6 * * 0",
  "schedule.DOOMSDAY": "0 2 1 * *",
  "notify.WEBHOOK_URL": "https://hooks.example.com/backup",
  "notify.NTFY_URL": "https://ntfy.sh/my-backups",
  "notify.GOTIFY_URL": "https://gotify.example.com",
  "notify.GOTIFY_TOKEN": "AbCdEf123456",
  "notify.HEALTHCHECKS_URL": "https://hc-ping.com/your-uuid",
  "target.BANDWIDTH": "5M",
  "cloud_sync.MODE": "mirror",
  "target.MODE": "append",
  "stack.STOP_STRATEGY": "down",
  "stack.TWO_PASS": "false",
  "stack.SCHEDULE": "0 */6 * * *",
  "stack.KEEP_LAST": "5",
  "stack.KEEP_HOURLY": "24",
  "stack.KEEP_DAILY": "14",
  "stack.KEEP_WEEKLY": "8",
  "stack.KEEP_MONTHLY": "6",
  "stack.KEEP_YEARLY": "1",
  "stack.KEEP_WITHIN": "30d",
  "stack.EXCLUDE": "*.tmp,cache/*",
  "stack.EXTRA_PATHS": "/srv/nextcloud-data",
  "stack.PRE_HOOK": "docker exec nextcloud php occ maintenance:mode --on",
  "stack.POST_HOOK": "docker exec nextcloud php occ maintenance:mode --off",
};

const SECTION_NOTES: Record<string, string> = {
  docker: "How stacks are found and quiesced.",
  local_backup:
    "Stage 1: the restic repository, its password, retention and verification.\nSet one (only one) of RESTIC_PASSWORD_FILE, RESTIC_PASSWORD_COMMAND, RESTIC_PASSWORD.",
  cloud_sync:
    "Stage 2: copies of the repository off this host. This section is the first copy (target `default`); more copies go in [cloud_sync:NAME] sections (see the end of this file), and take the keys they leave out from here.\nRemotes come from rclone's own config, or from RCLONE_CONFIG_<NAME>_* variables.",
  schedule: "Cron expressions (minute hour day month weekday) for `backup-tui daemon` and `schedule install`.",
  notify: "Where run results are sent.",
  security:
    "Destructive actions (restore over live data, delete, forget/prune by hand) ask for a confirmation password.",
};

function wrap(text: string, width = 92): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/)) {
      if (line && line.length + word.length + 1 > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.map((l) => `# ${l}`);
}

function renderKey(key: string, def: KeyDef, exampleId: string, stack = false): string[] {
  const value = def.example ?? def.default ?? EXTRA_EXAMPLES[exampleId] ?? "";
  const inherits = stack && (key.startsWith("KEEP_") || /^Overrides|default: \[cloud_sync\]'s/.test(def.description));
  const facts = [
    def.default !== undefined
      ? `Default: ${def.default}.`
      : inherits
        ? "Default: the global setting."
        : "Default: unset.",
  ];
  if (def.secret) facts.push("Secret: masked in output; the file must be chmod 600.");
  if (def.guarded && !stack)
    facts.push(
      "Decides what gets deleted: while a confirmation password is set, read from this file only (an environment override is refused).",
    );
  return [...wrap(`${key}: ${def.description}`), `# ${facts.join(" ")}`, `#${key}=${value}`, ""];
}

/** config.example.ini: every key of the table with its description, default and an example value. */
export function renderExample(
  SECTIONS: Record<string, Record<string, KeyDef>>,
  STACK_KEYS: Record<string, KeyDef>,
  TARGET_KEYS: Record<string, KeyDef>,
): string {
  const lines = [
    "# backup-tui configuration reference. Every key, with its description and default.",
    "# Copy what you need into your config.ini (/etc/backup-tui/config.ini as root,",
    "# ~/.config/backup-tui/config.ini otherwise, or --config FILE); `backup-tui init` writes a",
    "# starter file. Lines starting with # are comments; remove the # to set a key.",
    "#",
    '# Values: KEY=value. Quote values containing ; or # (KEY="a;b"): unquoted, INI would cut them.',
    "#",
    "# Environment overrides: any key can be set by BACKUP_TUI_<SECTION>_<KEY>, for example",
    "#   BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY=/mnt/backup/restic-repo",
    "#   BACKUP_TUI_DOCKER_STOP_STRATEGY=pause",
    "# The plain HOSTNAME variable that shells export is ignored: set [local_backup] HOSTNAME.",
    "# While [security] CONFIRM_PASSWORD_HASH is set, the keys that decide what gets deleted (marked",
    "# below) are read from this file only: an environment override of one is refused (exit 2).",
    "#",
    "# Legacy flat format: the seed tool's files (the same keys, no [section] headers) are read",
    "# too; each key is placed in its section by name.",
    "#",
    "# Generated by scripts/gen-config-example.ts from src/config/keys.ts; `backup-tui config example`",
    "# prints the same text.",
    "",
  ];
  for (const [section, keys] of Object.entries(SECTIONS)) {
    lines.push(`[${section}]`);
    if (SECTION_NOTES[section]) lines.push(...wrap(SECTION_NOTES[section]), "");
    else lines.push("");
    for (const [key, def] of Object.entries(keys)) lines.push(...renderKey(key, def, `${section}.${key}`));
  }
  lines.push(
    "# Per-stack settings: one [stack:NAME] section per Compose project (NAME is the project",
    "# name shown by `backup-tui stacks`). Each key overrides the global one for that stack.",
    "# Whether a stack is backed up at all is decided by the dirlist file, not here.",
    "#[stack:nextcloud]",
    "",
  );
  for (const [key, def] of Object.entries(STACK_KEYS)) lines.push(...renderKey(key, def, `stack.${key}`, true));
  lines.push(
    "# More copies: one [cloud_sync:NAME] section per target (NAME: letters, digits, '_', '-').",
    "# `backup-tui sync` writes every target, `sync --to NAME` one; a failing target does not stop",
    "# the others. Keys left out take [cloud_sync]'s value. No environment overrides here.",
    "#[cloud_sync:offsite]",
    "",
  );
  for (const [key, def] of Object.entries(TARGET_KEYS)) lines.push(...renderKey(key, def, `target.${key}`, true));
  return lines.join("\n").replace(/\n+$/, "\n");
}
