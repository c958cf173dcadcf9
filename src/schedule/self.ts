import { isSea } from "node:sea";
import type { Config } from "../config/types";
import type { Invocation } from "./units";

/** How to start this program again: the single executable itself, or node with its script. */
export function selfCommand(): string[] {
  return isSea() ? [process.execPath] : [process.execPath, process.argv[1]];
}

/** What installed timers and cron lines run: this executable with the config it read now. */
export function invocation(config: Config): Invocation {
  return {
    command: selfCommand(),
    configFile: config.source.file,
    stateDir: process.env.BACKUP_TUI_STATE_DIR ? config.stateDir : undefined,
    // A job stopped mid-backup restarts its stacks: each container's stop timeout, then Docker's own.
    stopGraceSec: config.docker.stopTimeoutSec + config.docker.timeoutSec + 30,
  };
}
