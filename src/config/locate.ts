import { btui } from "../command-hint";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { ConfigError } from "../errors";

export interface LocateInput {
  flag?: string;
  env: NodeJS.ProcessEnv;
  /** Directory of the running executable (the seed layout: bin/ beside config/). */
  exeDir: string;
  cwd: string;
  home?: string;
}

/**
 * Finds the config file: --config, BACKUP_TUI_CONFIG, BACKUP_CONFIG, ../config/config.ini
 * beside the executable, ./config/config.ini, /etc/backup-tui/config.ini,
 * ~/.config/backup-tui/config.ini. undefined means the embedded default serves.
 */
export function locateConfig(i: LocateInput): string | undefined {
  const explicit: Array<[string | undefined, string]> = [
    [i.flag, "--config"],
    [i.env.BACKUP_TUI_CONFIG, "BACKUP_TUI_CONFIG"],
    [i.env.BACKUP_CONFIG, "BACKUP_CONFIG"],
  ];
  for (const [value, origin] of explicit) {
    if (!value) continue;
    const file = resolve(i.cwd, value);
    if (!existsSync(file))
      throw new ConfigError(
        `config file not found: ${file} (from ${origin})`,
        `Check the path, or run \`${btui("init")}\` to write a starter config.`,
      );
    return file;
  }
  const candidates = [
    join(i.exeDir, "..", "config", "config.ini"),
    join(i.cwd, "config", "config.ini"),
    "/etc/backup-tui/config.ini",
    join(i.home ?? homedir(), ".config", "backup-tui", "config.ini"),
  ];
  return candidates.map((c) => resolve(c)).find((c) => existsSync(c));
}

/** The dirlist file: DIRLIST_FILE; ../dirlist for a config in a folder named config (when it exists); else beside the config. */
export function locateDirlist(configFile: string | undefined, explicit: string | undefined, stateDir: string): string {
  if (explicit) return resolve(configFile ? dirname(configFile) : process.cwd(), explicit);
  if (!configFile) return join(stateDir, "dirlist");
  const dir = dirname(configFile);
  if (basename(dir) === "config") {
    const seed = join(dir, "..", "dirlist");
    if (existsSync(seed)) return resolve(seed);
  }
  return join(dir, "dirlist");
}

/** /var/lib/backup-tui as root, $XDG_STATE_HOME/backup-tui otherwise; BACKUP_TUI_STATE_DIR overrides. */
export function defaultStateDir(env: NodeJS.ProcessEnv, uid: number, home = homedir()): string {
  if (env.BACKUP_TUI_STATE_DIR) return resolve(env.BACKUP_TUI_STATE_DIR);
  if (uid === 0) return "/var/lib/backup-tui";
  return join(env.XDG_STATE_HOME || join(home, ".local", "state"), "backup-tui");
}
