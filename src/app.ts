import { chmodSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "./config/load";
import type { Config } from "./config/types";
import { DockerCliRunner } from "./docker/cli";
import { DockerClient } from "./docker/client";
import { ComposeCli } from "./docker/compose";
import { ProcessRunner } from "./exec/runner";
import { childRecords } from "./state/children";
import { createLogger, type Logger } from "./log";
import type { Printer } from "./output";
import { Rclone } from "./rclone/rclone";
import { cloudCopyOf } from "./restic/errors";
import { Restic } from "./restic/restic";
import type { ServiceContext } from "./services/run/context";
import type { EventSink } from "./services/run/events";
import { StopJournal } from "./state/journal";
import { currentOwner } from "./state/process-info";
import { assertOwnStateDir } from "./state/state-dir";
import { VersionCache } from "./state/version-cache";
import { StateStore } from "./state/store";
import { openStateStore, StoreUnavailableError } from "./state/store-repair";

import { VERSION } from "./version";
import { parseDuration } from "./duration";
export { VERSION };

export interface GlobalOptions {
  config?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** What every command receives from cli.ts. */
export interface CommandEnv {
  globals: GlobalOptions;
  printer: Printer;
  /** Aborted on SIGINT/SIGTERM/SIGHUP: long work stops, stacks are restarted, then we exit. */
  signal: AbortSignal;
  /** Aborts `signal` for a reason that is no signal (the repository lock was lost): the run stops as on SIGTERM. */
  abort: (reason: Error) => void;
  /** The daemon's SIGHUP: reload the configuration. */
  onReload: (listener: () => void) => void;
  /** Command line for lock owners and the run history (never holds secrets). */
  commandLine: string;
}

export function exeDir(): string {
  return dirname(process.execPath);
}

export function readConfig(globals: GlobalOptions): Config {
  return loadConfig({
    flag: globals.config,
    env: process.env,
    exeDir: exeDir(),
    cwd: process.cwd(),
    uid: process.getuid?.() ?? 1000,
  });
}

export function ensureStateDir(config: Config): void {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  assertOwnStateDir(config.stateDir);
  try {
    chmodSync(config.stateDir, 0o700);
  } catch {
    // not ours to change (e.g. a shared mount): the files inside are 0600 anyway
  }
}

export function openLogger(config: Config, globals: GlobalOptions, tui = false): Logger {
  return createLogger({
    file: join(config.stateDir, "backup-tui.log"),
    fileLevel: globals.verbose ? "debug" : "info",
    stderrLevel: tui || globals.quiet ? undefined : globals.verbose ? "debug" : undefined,
  });
}

/** Service events to the printer, and (except progress ticks) to the log file. */
export function eventSink(env: CommandEnv, ctx: ServiceContext): EventSink {
  return (e) => {
    env.printer.event(e);
    if (e.type === "warning") ctx.log.warn({ stack: e.stack }, e.message);
    else if (e.type !== "progress") ctx.log.info({ event: e }, e.type);
  };
}

/** The composition root: real runner, Docker, restic, rclone, store, journal. */
export interface ContextOptions {
  globals: GlobalOptions;
  commandLine: string;
  tui?: boolean;
  /** Said once to the user (a damaged state database set aside...); the log gets it too. */
  warn?: (message: string) => void;
  /** `recover`: if the state database cannot be opened at all, go on with the stop journal alone. */
  withoutDatabase?: boolean;
}

export function buildContext(config: Config, o: ContextOptions): ServiceContext {
  ensureStateDir(config);
  const log = openLogger(config, o.globals, o.tui);
  const runner = new ProcessRunner(log, childRecords(config.stateDir));
  // restic's rclone: backend runs rclone itself: hand it the same rclone config.
  const rcloneEnv = config.cloud.configFile ? { RCLONE_CONFIG: config.cloud.configFile } : undefined;
  const versions = new VersionCache(join(config.stateDir, "tool-versions.json"));
  const resticFor = (repository: string, password = config.restic.password) =>
    new Restic(runner, {
      binary: config.restic.binary,
      repository,
      password,
      workDir: config.stateDir,
      log,
      env: rcloneEnv,
      cloudCopy: cloudCopyOf(config),
      versions,
      shared: repository === config.restic.repository ? sharedRepository(config) : undefined,
    });
  return {
    config,
    runner,
    docker: new DockerClient({ timeout: (config.docker.timeoutSec + config.docker.stopTimeoutSec) * 1000 }),
    dockerCli: new DockerCliRunner(runner, config.docker.timeoutSec * 1000),
    compose: new ComposeCli(runner, config.docker.composeCommand, versions),
    restic: resticFor(config.restic.repository),
    resticFor,
    rclone: new Rclone(runner, { binary: config.cloud.binary, configFile: config.cloud.configFile, log }),
    store: openStore(config, log, o),
    journal: new StopJournal(config.stateDir),
    log,
    owner: currentOwner(hostname(), o.commandLine),
    version: VERSION,
  };
}

function openStore(config: Config, log: Logger, o: ContextOptions): StateStore {
  const say = (message: string) => {
    log.warn(message);
    o.warn?.(message);
  };
  let store: StateStore;
  try {
    store = openStateStore(join(config.stateDir, "state.db"), { onSetAside: say });
  } catch (err) {
    if (!(err instanceof StoreUnavailableError) || !o.withoutDatabase) throw err;
    say(`${err.message}: recovering from the stop journal alone (this run is not recorded in the history)`);
    store = StateStore.open(":memory:");
  }
  store.catalog.bindTo(config.restic.repository);
  return store;
}

/** A command's context: config warnings printed, then buildContext. */
export function openContext(
  env: CommandEnv,
  config = readConfig(env.globals),
  o: { withoutDatabase?: boolean } = {},
): ServiceContext {
  for (const w of config.warnings) env.printer.warn(w);
  return buildContext(config, {
    globals: env.globals,
    commandLine: env.commandLine,
    warn: (m) => env.printer.warn(m),
    ...o,
  });
}

/** The main repository's sharing ([local_backup] PRUNE_HOST): who takes its exclusive lock, how long others wait. */
function sharedRepository(config: Config) {
  const { pruneHost, lockWait } = config.fleet;
  if (!pruneHost) return undefined;
  return {
    pruneHost,
    hostname: config.hostname,
    lockWaitSec: Math.round(parseDuration(lockWait, "[local_backup] LOCK_WAIT") / 1000),
  };
}
