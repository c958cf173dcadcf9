import { buildContext, readConfig, type GlobalOptions } from "../app";
import type { Config } from "../config/types";
import type { ServiceContext } from "../services/run/context";

/** The TUI's context: the logger never writes to stderr (it would tear the frame); warnings go to the dashboard. */
export function openTuiContext(globals: GlobalOptions = {}, config: Config = readConfig(globals)): ServiceContext {
  return buildContext(config, { globals, commandLine: "backup-tui (tui)", tui: true });
}
