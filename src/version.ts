declare const __BACKUP_TUI_VERSION__: string | undefined;

/** Injected by the build; "0.0.0-dev" when run from source. */
export const VERSION = typeof __BACKUP_TUI_VERSION__ === "string" ? __BACKUP_TUI_VERSION__ : "0.0.0-dev";
