/** The screens of the app; those in MENU have a number key, the others are panes of one of them. */
export type ScreenId =
  | "dashboard"
  | "stacks"
  | "backup"
  | "snapshots"
  | "schedules"
  | "history"
  | "fleet"
  | "files"
  | "run"
  | "restore"
  | "log"
  | "disaster"
  | "recovery";

export interface KeyHelp {
  keys: string;
  label: string;
}

export const MENU: Array<{ id: ScreenId; key: string; title: string; short: string }> = [
  { id: "dashboard", key: "1", title: "Dashboard", short: "Dash" },
  { id: "stacks", key: "2", title: "Stacks", short: "Stacks" },
  { id: "backup", key: "3", title: "Backup", short: "Backup" },
  { id: "snapshots", key: "4", title: "Snapshots", short: "Snaps" },
  { id: "schedules", key: "5", title: "Schedules", short: "Sched" },
  { id: "history", key: "6", title: "History", short: "Hist" },
  { id: "fleet", key: "7", title: "Fleet", short: "Fleet" },
];

/** Panes opened from a screen: the tab bar marks their screen, the help names them. */
export const PANES: Partial<Record<ScreenId, { parent: ScreenId; title: string }>> = {
  files: { parent: "snapshots", title: "Files" },
  run: { parent: "history", title: "Run details" },
  restore: { parent: "snapshots", title: "Restore" },
  log: { parent: "history", title: "Run log" },
  disaster: { parent: "dashboard", title: "Disaster recovery" },
  recovery: { parent: "dashboard", title: "Disaster recovery: progress and report" },
};

export function screenTitle(id: ScreenId): string {
  return PANES[id]?.title ?? MENU.find((m) => m.id === id)?.title ?? id;
}

/** Every key of every screen: the footer shows them, `?` explains them. */
export const SCREEN_KEYS: Record<ScreenId, KeyHelp[]> = {
  dashboard: [
    { keys: "↑↓", label: "select stack" },
    { keys: "Enter", label: "back up selected" },
    { keys: "b", label: "back up enabled" },
    { keys: "s", label: "its snapshots" },
    { keys: "r", label: "reload" },
    { keys: "D", label: "disaster recovery" },
  ],
  stacks: [
    { keys: "↑↓", label: "move" },
    { keys: "Space", label: "enable/disable" },
    { keys: "a", label: "add EXT:/path" },
    { keys: "r", label: "reload" },
  ],
  backup: [
    { keys: "Enter", label: "back up / again" },
    { keys: "s", label: "sync" },
    { keys: "v", label: "verify" },
    { keys: "^C", label: "abort run" },
  ],
  snapshots: [
    { keys: "↑↓ PgUp PgDn", label: "move" },
    { keys: "Enter", label: "browse files" },
    { keys: "s", label: "cycle stack" },
    { keys: "/", label: "type filter" },
    { keys: "a", label: "all / latest 5" },
    { keys: "r", label: "refresh from repo" },
    { keys: "R", label: "restore stack" },
    { keys: "v", label: "restore a volume" },
    { keys: "d", label: "diff with the one before" },
  ],
  schedules: [
    { keys: "↑↓", label: "select job" },
    { keys: "Enter", label: "its runs" },
    { keys: "Space", label: "enable/disable" },
    { keys: "r", label: "reload" },
  ],
  history: [
    { keys: "↑↓ PgUp PgDn", label: "move" },
    { keys: "Enter", label: "details" },
    { keys: "f", label: "cycle kind" },
    { keys: "r", label: "reload" },
  ],
  fleet: [
    { keys: "↑↓ PgUp PgDn", label: "move" },
    { keys: "Enter", label: "that host's snapshots" },
    { keys: "r", label: "read again" },
  ],
  files: [
    { keys: "↑↓ PgUp PgDn", label: "move" },
    { keys: "Enter/→", label: "open dir" },
    { keys: "Bksp/←", label: "up" },
    { keys: "R", label: "restore in place" },
    { keys: "t", label: "restore to dir" },
  ],
  run: [
    { keys: "↑↓", label: "select stack" },
    { keys: "l", label: "its log" },
    { keys: "Bksp/←", label: "back to the list" },
  ],
  restore: [
    { keys: "Enter/y", label: "confirm" },
    { keys: "n/Esc", label: "cancel" },
  ],
  log: [
    { keys: "↑↓ PgUp PgDn g G", label: "scroll" },
    { keys: "Bksp/←", label: "back to the run" },
  ],
  disaster: [
    { keys: "Enter", label: "next step" },
    { keys: "o", label: "overwrite on/off" },
    { keys: "h", label: "old host name" },
  ],
  recovery: [
    { keys: "Enter", label: "back to step 1 (when finished)" },
    { keys: "^C", label: "abort (a rerun continues)" },
  ],
};

/** While a text input owns the keyboard, the footer shows only its keys: every other key types. */
export const INPUT_KEYS: KeyHelp[] = [
  { keys: "Enter", label: "done" },
  { keys: "Esc", label: "cancel" },
  { keys: "Bksp", label: "delete" },
  { keys: "^C", label: "quit" },
  { keys: "other keys", label: "type" },
];

export function globalKeys(atRoot: boolean): KeyHelp[] {
  return [
    { keys: `1-${MENU.length}`, label: "screens" },
    { keys: "?", label: "help" },
    { keys: "q/Esc", label: atRoot ? "quit" : "back" },
  ];
}
