/** The screens of the app; the first four have a number key. */
export type ScreenId = "dashboard" | "stacks" | "backup" | "snapshots" | "files";

export interface KeyHelp {
  keys: string;
  label: string;
}

export const MENU: Array<{ id: ScreenId; key: string; title: string }> = [
  { id: "dashboard", key: "1", title: "Dashboard" },
  { id: "stacks", key: "2", title: "Stacks" },
  { id: "backup", key: "3", title: "Backup" },
  { id: "snapshots", key: "4", title: "Snapshots" },
];

/** Every key of every screen: the footer shows them, `?` explains them. */
export const SCREEN_KEYS: Record<ScreenId, KeyHelp[]> = {
  dashboard: [
    { keys: "↑↓", label: "select stack" },
    { keys: "Enter", label: "back up selected" },
    { keys: "b", label: "back up enabled" },
    { keys: "s", label: "its snapshots" },
    { keys: "r", label: "reload" },
  ],
  stacks: [
    { keys: "↑↓", label: "move" },
    { keys: "Space", label: "enable/disable" },
    { keys: "a", label: "add EXT:/path" },
    { keys: "r", label: "reload" },
  ],
  backup: [
    { keys: "Enter", label: "start / run again" },
    { keys: "^C", label: "abort run" },
  ],
  snapshots: [
    { keys: "↑↓ PgUp PgDn", label: "move" },
    { keys: "Enter", label: "browse files" },
    { keys: "s", label: "cycle stack" },
    { keys: "/", label: "type filter" },
    { keys: "a", label: "all / latest 5" },
    { keys: "r", label: "refresh from repo" },
  ],
  files: [
    { keys: "↑↓ PgUp PgDn", label: "move" },
    { keys: "Enter/→", label: "open dir" },
    { keys: "Bksp/←", label: "up" },
  ],
};

export function globalKeys(atRoot: boolean): KeyHelp[] {
  return [
    { keys: "1-4", label: "screens" },
    { keys: "?", label: "help" },
    { keys: "q/Esc", label: atRoot ? "quit" : "back" },
  ];
}
