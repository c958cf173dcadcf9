import { hostname } from "node:os";
import { join } from "node:path";
import { ensureStateDir, openLogger, readConfig, VERSION, type GlobalOptions } from "../app";
import type { Config } from "../config/types";
import { DockerClient } from "../docker/client";
import { ComposeCli } from "../docker/compose";
import { ProcessRunner } from "../exec/runner";
import { Rclone } from "../rclone/rclone";
import { Restic } from "../restic/restic";
import type { ServiceContext } from "../services/context";
import { StopJournal } from "../state/journal";
import { currentOwner } from "../state/process-info";
import { StateStore } from "../state/store";

/**
 * The TUI's composition root. It mirrors openContext (src/app.ts) with two differences:
 * the logger never writes to stderr (it would tear the Ink frame), and config warnings are
 * returned for the dashboard instead of printed. Fold back into openContext once it takes
 * a `tui` flag (see docs/TUI.md, "Changes wanted outside src/tui").
 */
export function openTuiContext(globals: GlobalOptions = {}, config: Config = readConfig(globals)): ServiceContext {
  ensureStateDir(config);
  const log = openLogger(config, globals, true);
  const runner = new ProcessRunner(log);
  const rcloneEnv = config.cloud.configFile ? { RCLONE_CONFIG: config.cloud.configFile } : undefined;
  const resticFor = (repository: string) =>
    new Restic(runner, { binary: config.restic.binary, repository, password: config.restic.password, workDir: config.stateDir, log, env: rcloneEnv });
  return {
    config,
    runner,
    docker: new DockerClient({ timeout: (config.docker.timeoutSec + config.docker.stopTimeoutSec) * 1000 }),
    compose: new ComposeCli(runner, config.docker.composeCommand),
    restic: resticFor(config.restic.repository),
    resticFor,
    rclone: new Rclone(runner, { binary: config.cloud.binary, configFile: config.cloud.configFile, log }),
    store: StateStore.open(join(config.stateDir, "state.db")),
    journal: new StopJournal(config.stateDir),
    log,
    owner: currentOwner(hostname(), "backup-tui (tui)"),
    version: VERSION,
  };
}
