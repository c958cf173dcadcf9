import { Command, CommanderError, Option } from "commander";
import type { CommandEnv, GlobalOptions } from "./app";
import { commandName, entryFor } from "./cli-entry";
import { setHintGlobals } from "./command-hint";
import { AppError, ExitCode, signalExitCode } from "./errors";
import { killAllChildren } from "./exec/process-groups";
import { redact } from "./exec/redact";
import { confirmPasswordFromEnv } from "./security/confirm-env";
import { Printer } from "./output";
import { stateDamage } from "./state/store-damage";
import { VERSION } from "./version";

type Loader = () => Promise<{ run: (env: CommandEnv, ...args: never[]) => Promise<number | void> }>;

let received: NodeJS.Signals | undefined;
const controller = new AbortController();
/** In the daemon, SIGHUP means "reload the config" instead of "stop". */
const reloadListeners: Array<() => void> = [];
/** While Ink owns the terminal, nothing else may write to it. */
let tuiActive = false;
/** Set once the program is built: `-c FILE daemon` names the daemon too (its SIGHUP reloads). */
let command: string | undefined;
const isDaemon = () => command === "daemon";

function printerFor(g: GlobalOptions): Printer {
  return new Printer({
    json: !!g.json,
    quiet: !!g.quiet,
    color: !process.env.NO_COLOR && !!process.stderr.isTTY && process.env.TERM !== "dumb",
    tty: !!process.stderr.isTTY,
  });
}

/** Commander action that loads its command module only when it runs. */
function lazy(program: Command, load: Loader) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const globals = program.opts<GlobalOptions>();
    setHintGlobals(globals);
    const env: CommandEnv = {
      globals,
      printer: printerFor(globals),
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      onReload: (listener) => reloadListeners.push(listener),
      commandLine: ["backup-tui", ...process.argv.slice(2)].join(" ").slice(0, 300),
    };
    const mod = await load();
    const code = await mod.run(env, ...(args.slice(0, -1) as never[]), cmd.opts() as never);
    exitCode = typeof code === "number" ? code : ExitCode.ok;
  };
}

let exitCode: number = ExitCode.ok;

const wait = () =>
  new Option("--wait <duration>", "wait this long for a busy repository instead of exiting 75 (e.g. 10m)");

/** The one registry of commands. Each module is imported only when its command runs. */
export function buildProgram(): Command {
  const program = new Command("backup-tui")
    .description("Back up Docker Compose stacks with restic, mirror the repository with rclone, and restore them.")
    .version(VERSION, "-V, --version", "print the version")
    .option("-c, --config <file>", "config file (default: see README, Configuration)")
    .option("--json", "machine-readable output: JSON lines on stdout")
    .option("-v, --verbose", "debug logging to stderr and the log file")
    .option("-q, --quiet", "only warnings and errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("backup")
    .argument("[stacks...]", "stacks to back up (default: those enabled in the dirlist)")
    .description("Stage 1: back up stacks into the restic repository, restarting what was running")
    .option("--all", "every discovered stack, enabled or not")
    .option("--dry-run", "print the plan: stacks, paths, what would stop; change nothing")
    .addOption(
      new Option("--strategy <name>", "override the stop strategy").choices([
        "stop",
        "down",
        "pause",
        "none",
        "snapshot",
      ]),
    )
    .option("--single-pass", "no hot pass: stop, back up, start")
    .option("--parallel <n>", "stacks backed up at once", "1")
    .option("--volume <name>", "back up one named volume, stopping only the containers that mount it")
    .option("--scheduled", "started by a schedule: follows the dirlist, leaves stacks with their own SCHEDULE to it")
    .option(
      "--doomsday",
      "full-host backup: every stack, then a kind:doomsday snapshot of volumes, daemon.json, config, inventory and the recovery kit",
    )
    .addOption(wait())
    .action(lazy(program, () => import("./commands/backup")));

  program
    .command("restore")
    .argument(
      "[path]",
      "stage 3 (no --stack/--volume): pull the repository from the cloud into PATH (default: RESTIC_REPOSITORY)",
    )
    .description(
      "stage 3: pull the repository back from the cloud and verify it; or restore a stack, a volume or one file from a snapshot",
    )
    .option(
      "--force",
      "stage 3: pull into a directory that is not empty; with --target: restore into a directory that is not empty (never over a live path)",
    )
    .option("--stack <name>", "restore this stack: its directory and volumes")
    .option("--volume <name>", "restore one named volume (created when missing); stops only the containers using it")
    .option(
      "--dump <service>",
      "with --stack: load that service's database dump (backup-tui.dump label) into its running container",
    )
    .option("--file <path>", "only this file or folder (as shown by `ls`, or its live path)")
    .option("--snapshot <id>", "snapshot id (prefix), or latest", "latest")
    .option(
      "--host <name>",
      "another host's snapshots (restoring on a new machine): with latest, that host's newest; in place, that host's snapshot is allowed here",
    )
    .option("--target <dir>", "restore under this directory instead: nothing live is touched")
    .option("--dry-run", "show what would be added, changed and removed")
    .option("--yes", "confirm without asking (headless)")
    .option("--confirm-password-file <file>", "the confirmation password, when CONFIRM_PASSWORD_HASH is set")
    .option(
      "--disaster",
      "bare-metal recovery on a new host: pull, check, recreate networks and volumes, restore every stack and its data, load dumps, start stacks",
    )
    .option(
      "--overwrite",
      "with --disaster: go on even where a network, volume, container or stack directory exists already",
    )
    .option(
      "--from <target>",
      "stage 3 and --disaster: pull this sync target's copy ([cloud_sync:NAME]) instead of [cloud_sync]'s",
    )
    .addOption(wait())
    .action(lazy(program, () => import("./commands/restore")));

  program
    .command("sync")
    .description(
      "Stage 2: copy the repository to every sync target ([cloud_sync], [cloud_sync:NAME]) by its MODE, then check each copy",
    )
    .option("--to <name>", "only this target (default: every target)")
    .option("--dry-run", "show what would be transferred")
    .option("--bwlimit <rate>", "bandwidth limit (rclone --bwlimit), e.g. 10M")
    .option("--transfers <n>", "parallel transfers")
    .option("--force", "sync even when the local repository fails its check or has far fewer snapshots than a mirror")
    .option(
      "--accept-loss",
      "with --to: acknowledge the target's tamper alarm, its present state becomes the reference (guarded)",
    )
    .option("--yes", "with --accept-loss: confirm without asking (headless)")
    .option("--confirm-password-file <file>", "with --accept-loss: the confirmation password, when one is set")
    .option("--scheduled", "started by a schedule (the daemon, a timer or cron): recorded as such")
    .addOption(wait())
    .action(lazy(program, () => import("./commands/sync")));

  program
    .command("verify")
    .description(
      "prove the repository is sound: metadata (restic check), subset (read a sample), data (read everything), files (restore and compare)",
    )
    .addOption(
      new Option(
        "--level <level>",
        "how deep: files also restores each stack's newest snapshot into scratch space and compares it",
      )
        .choices(["metadata", "subset", "data", "files"])
        .default("metadata"),
    )
    .option("--stack <name...>", "with --level files: only these stacks")
    .option("--scratch <dir>", "with --level files: restore there (default: STATE_DIR/verify-scratch)")
    .option(
      "--subset <share>",
      "with --level subset: how much to read: 5%, part 1/10, or next/10 (the part after the last one read; 10 runs read everything). Default: VERIFICATION_SUBSET (5%)",
    )
    .option(
      "--remote [target]",
      "check a copy itself, without pulling it: [cloud_sync]'s, or the sync target named (rclone's backend, or the restic target)",
    )
    .option("--scheduled", "started by a schedule (the daemon, a timer or cron): recorded as such")
    .addOption(wait())
    .action(lazy(program, () => import("./commands/verify")));

  program
    .command("stacks")
    .description("list discovered stacks: state, volumes, enabled, last backup")
    .option("--sizes", "measure volume sizes (reads the disk)")
    .action(lazy(program, () => import("./commands/stacks")));

  program
    .command("dirlist")
    .description("which stacks are backed up: list | enable NAME | disable NAME | add EXT:/path | sync")
    .argument("[action]", "list, enable, disable, add or sync", "list")
    .argument("[names...]", "stack names or EXT:/path entries")
    .action(lazy(program, () => import("./commands/dirlist")));

  program
    .command("recover")
    .description("restart containers a dead run left stopped")
    .addOption(wait())
    .action(lazy(program, () => import("./commands/recover")));

  program
    .command("snapshots")
    .description("list snapshots (the most recent few per stack by default)")
    .option("--stack <name>", "only this stack")
    .option("--host <name>", "only this host")
    .option("--tag <tag>", "only snapshots with this tag")
    .option("--since <when>", "newer than a date (2026-11-01) or a duration back from now (7d)")
    .option("--until <when>", "older than a date or duration")
    .option("--latest <n>", "newest N per stack", "5")
    .option("--all", "every snapshot, including hot ones")
    .option("--refresh", "re-read the repository (the catalog is otherwise used as it is)")
    .action(lazy(program, () => import("./commands/snapshots")));

  program
    .command("diff")
    .description(
      "what changed between two snapshots (default: SNAP and the one before it, same stack and host) or a snapshot and the live data",
    )
    .argument("<snapshot>", "snapshot id (prefix) or latest")
    .argument("[snapshot2]", "the newer side (default: SNAP is the newer, the snapshot before it the older)")
    .option("--live", "compare the snapshot with the live data now (each path where it is on this host)")
    .option("--stack <name>", "with latest: that stack's newest snapshot")
    .option("--host <name>", "with latest: that host's")
    .action(lazy(program, () => import("./commands/diff")));

  program
    .command("ls")
    .description("list files in a snapshot (from the catalog; indexed on first use)")
    .argument("<snapshot>", "snapshot id (prefix) or latest")
    .argument("[path]", "directory inside the snapshot (default: its top-level paths)")
    .option("--stack <name>", "with latest: that stack's newest snapshot")
    .option("--host <name>", "with latest: that host's")
    .option("-r, --recursive", "everything under the path")
    .action(lazy(program, () => import("./commands/ls")));

  program
    .command("find")
    .description("search file names (or paths, with a '/') across the newest snapshots")
    .argument("<pattern>", "glob (e.g. '*.sql'); a plain word matches anywhere in the name")
    .option("--stack <name>", "only this stack")
    .option("--host <name>", "only this host")
    .option("--snapshots <n>", "how many of the newest snapshots per stack to search", "3")
    .action(lazy(program, () => import("./commands/find")));

  const guarded = (c: Command) =>
    c
      .option("--yes", "confirm without asking (headless)")
      .option("--confirm-password-file <file>", "the confirmation password, when CONFIRM_PASSWORD_HASH is set")
      .addOption(wait());

  program
    .command("protect")
    .argument("<snapshot>", "snapshot id (prefix)")
    .description("mark a snapshot protected: retention never removes it, delete refuses it")
    .addOption(wait())
    .action(lazy(program, () => import("./commands/protect")));
  program
    .command("unprotect")
    .argument("<snapshot>", "snapshot id (prefix)")
    .description("remove the protected mark")
    .addOption(wait())
    .action(lazy(program, () => import("./commands/unprotect")));
  guarded(
    program
      .command("delete")
      .argument("<snapshots...>", "snapshot ids (prefixes)")
      .description("delete snapshots (guarded; protected ones are refused)")
      .option("--prune", "also free their data now"),
  ).action(lazy(program, () => import("./commands/delete")));
  guarded(
    program
      .command("forget")
      .description("apply the keep policy per stack by hand (guarded unless --dry-run)")
      .option("--stack <name>", "only this stack")
      .option("--dry-run", "show what would be removed")
      .option("--prune", "also free the data")
      .option(
        "--remote <target>",
        "the copy at this sync target instead (from a trusted machine: the keep policy per host and stack there, then --prune)",
      )
      .option(
        "--scheduled",
        "the PRUNE schedule: apply the configured policy without asking (the policy is the consent)",
      ),
  ).action(lazy(program, () => import("./commands/forget")));
  guarded(
    program
      .command("prune")
      .description("delete data no snapshot uses (guarded); --cancel calls off pending space deletions")
      .argument("[snapshots...]", "with --cancel: only these pending deletions (ids or prefixes)")
      .option("--cancel", "cancel pending deletions (MAX_REPO_SIZE / MIN_FREE_PERCENT with NOTIFY_BEFORE_DELETE)"),
  ).action(lazy(program, () => import("./commands/prune")));

  program
    .command("init")
    .description("write a starter config and password file, and create the repository (safe to repeat)")
    .option("--dir <dir>", "where to write config.ini (default: /etc/backup-tui as root, else ~/.config/backup-tui)")
    .option("--repository <repo>", "repository location for a new config")
    .action(lazy(program, () => import("./commands/init")));

  program
    .command("doctor")
    .description(
      "check Docker, Compose, restic, rclone, config, repository and free space; probe whether this host can destroy each sync target",
    )
    .option(
      "--no-probe",
      "skip the immutability probe of the sync targets (it writes a canary beside each rclone copy)",
    )
    .action(lazy(program, () => import("./commands/doctor")));

  const config = program.command("config").description("validate, show or explain the configuration");
  config
    .command("validate")
    .description("check the configuration and exit 0, or 78 naming the problem")
    .action(lazy(program, () => import("./commands/config-validate")));
  config
    .command("show")
    .description("print the effective configuration (secrets masked)")
    .action(lazy(program, () => import("./commands/config-show")));
  config
    .command("example")
    .description("print every key with its description and default (the config reference, config.example.ini)")
    .action(lazy(program, () => import("./commands/config-example")));
  config
    .command("set-confirm-password")
    .description("set the password destructive actions ask for (stored as an scrypt hash)")
    .option("--password-file <file>", "read the new one from a file instead of the terminal")
    .option(
      "--confirm-password-file <file>",
      "the current confirmation password, when one is set (or BACKUP_TUI_CONFIRM_PASSWORD; asked on a terminal)",
    )
    .action(lazy(program, () => import("./commands/config-set-confirm-password")));
  program
    .command("validate")
    .description("same as `config validate` (the seed tool's name)")
    .action(lazy(program, () => import("./commands/config-validate")));

  guarded(
    program
      .command("unlock")
      .description("remove stale restic locks from the repository")
      .option(
        "--remove-all",
        "remove every restic lock, even other hosts' live ones (guarded; refused while a process on this host holds one)",
      ),
  ).action(lazy(program, () => import("./commands/unlock")));

  program
    .command("schedule")
    .description("scheduled jobs: list (last and next runs) | install --systemd|--cron | uninstall")
    .argument("[action]", "list, install or uninstall", "list")
    .option("--systemd", "install systemd service + timer units (and a boot-time recover unit)")
    .option("--cron", "install a cron file (with @reboot recover)")
    .option("--dir <dir>", "where to write the units or the cron file (default /etc/systemd/system or /etc/cron.d)")
    .action(lazy(program, () => import("./commands/schedule")));

  program
    .command("daemon")
    .description(
      "run the schedules in-process (croner); SIGHUP reloads the config, SIGTERM stops after the running job",
    )
    .action(lazy(program, () => import("./commands/daemon")));

  program
    .command("status")
    .description(
      "per stack: last good backup, age, next run, overdue; last verify; lock; pending recovery (exit 4 / 1)",
    )
    .option("--fleet", "every host publishing its status into this repository, worst first (no Docker needed)")
    .option("--textfile <file>", "with --fleet: also write the fleet as a Prometheus textfile (label host)")
    .addOption(new Option("--now <time>", "with --fleet: judge overdue as of this time").hideHelp())
    .action(lazy(program, () => import("./commands/status")));

  program
    .command("history")
    .description("past runs (backup, sync, restore, verify, prune, recover): who started them, how they ended")
    .option("--limit <n>", "how many", "20")
    .option("--stack <name>", "only runs that backed up this stack")
    .option("--since <when>", "started after a date (2026-11-01) or a duration back from now (7d)")
    .option("--kind <kind>", "only backup, sync, restore, verify, prune or recover")
    .action(lazy(program, () => import("./commands/history")));

  return program;
}

/** A line about a signal, before any printer may exist: a JSON warning line under --json. */
function say(message: string): void {
  process.stderr.write(
    process.argv.includes("--json") ? `${JSON.stringify({ type: "warning", message })}\n` : `\n${message}\n`,
  );
}

function onSignal(signal: NodeJS.Signals): void {
  if (signal === "SIGHUP" && isDaemon()) {
    for (const l of reloadListeners) l();
    return;
  }
  // The daemon says itself whether a job is running and must restart its stacks; idle, it just stops.
  const what = isDaemon() ? "stopping" : "stopping restic and restarting stacks";
  if (received) {
    if (!tuiActive) say(`${signal} again: still ${what}; please wait`);
    return;
  }
  received = signal;
  if (!tuiActive) say(`${signal}: ${what}${isDaemon() ? "" : " before exit"}`);
  controller.abort(signal);
}

export async function main(argv: string[]): Promise<never> {
  confirmPasswordFromEnv(); // out of process.env before anything runs (the guard still has it)
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
  const program = buildProgram();
  command = commandName(argv.slice(2), program.options);
  const globals = () => program.opts<GlobalOptions>();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    // No command, only global options (`backup-tui`, `backup-tui --config FILE`): the TUI on a terminal.
    const entry = entryFor(argv.slice(2), program.options, !!process.stdin.isTTY && !!process.stdout.isTTY);
    if (entry === "tui") {
      program.parseOptions(argv.slice(2));
      setHintGlobals(globals());
      const { runTui } = await import("./tui/run");
      tuiActive = true;
      exitCode = await runTui(controller.signal, globals());
      tuiActive = false;
    } else if (entry === "help") {
      program.outputHelp();
      exitCode = ExitCode.ok;
    } else {
      await program.parseAsync(argv);
    }
  } catch (err) {
    exitCode = handleError(err, printerFor(globals()));
  }
  if (received && exitCode !== ExitCode.serviceDown) exitCode = signalExitCode(received);
  killAllChildren();
  // A pipe (`backup-tui --json snapshots | jq`) may still hold output: exit once it is written.
  await Promise.all(
    [process.stdout, process.stderr].map(
      (s) => new Promise<void>((r) => (s.writableLength ? s.write("", () => r()) : r())),
    ),
  );
  process.exit(exitCode);
}

function handleError(err: unknown, printer: Printer): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help")
      return ExitCode.ok;
    return ExitCode.usage; // commander already printed the message
  }
  // The state database found damaged in the middle of a command: said plainly, set aside next time.
  const damaged = stateDamage(err);
  if (damaged) {
    printer.error(damaged.message, damaged.hint, damaged.exitCode);
    return damaged.exitCode;
  }
  if (err instanceof AppError) {
    printer.error(redact(err.message), err.hint, err.exitCode);
    return err.exitCode;
  }
  // A bug: say so plainly; the stack goes to stderr only with --verbose.
  const e = err as Error;
  printer.error(
    `internal error: ${redact(e?.message ?? String(err))}`,
    "This is a bug in backup-tui; run with --verbose for details and report it.",
    ExitCode.failed,
  );
  if (process.argv.includes("-v") || process.argv.includes("--verbose")) process.stderr.write(`${e?.stack ?? ""}\n`);
  return ExitCode.failed;
}
