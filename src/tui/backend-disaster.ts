import { checkConfirmPassword, passwordRequired, unguardedWarning } from "../security/confirm";
import type { DisasterReport } from "../services/disaster/disaster";
import { DisasterJournal } from "../services/disaster/journal";
import type { ServiceContext } from "../services/run/context";
import type { EventSink } from "../services/run/events";
import { disasterAction, disasterJob, disasterRemote } from "../usecases/disaster";

/** What `restore --disaster` is asked for: --host, --overwrite. */
export interface DisasterChoice {
  /** The old host's name; default: the interrupted recovery's, else this config's HOSTNAME. */
  host?: string;
  overwrite: boolean;
}

/** Step 1 of the disaster flow: where it pulls from, and an interrupted recovery to continue. */
export interface DisasterPlan {
  /** RCLONE_REMOTE:RCLONE_PATH; none: no pull, the local repository is used as it is (the CLI's noPull). */
  remote?: string;
  repository: string;
  /** The host whose newest doomsday snapshot is recovered when none is typed. */
  host: string;
  /** An interrupted recovery's journal: a run continues it (finished steps are skipped). */
  journal?: { file: string; startedAt: string; steps: number; host?: string; snapshot?: string };
  /** The CLI's gate: the confirmation password when CONFIRM_PASSWORD_HASH is set. */
  needsPassword: boolean;
  /** No confirmation password set: the CLI's warning. */
  unguarded?: string;
}

/** `backup-tui restore --disaster`, for the TUI's guided flow. */
export interface DisasterBackend {
  plan(): Promise<DisasterPlan>;
  /** The confirmation password against CONFIRM_PASSWORD_HASH (a wrong one is logged, like the CLI's guard). */
  checkPassword(password: string, choice: DisasterChoice): boolean;
  /** As the CLI: the password (when set) checked again, the repository lock, recovery of dead runs, disasterRestore. */
  run(
    choice: DisasterChoice,
    password: string | undefined,
    signal: AbortSignal,
    emit: EventSink,
  ): Promise<DisasterReport>;
}

/** `restore --disaster` for the TUI: the plan it shows, then the same use case as the CLI (src/usecases/disaster.ts). */
export function disasterBackend(ctx: ServiceContext, logged: (emit: EventSink) => EventSink): DisasterBackend {
  return {
    async plan() {
      // Reading the journal writes nothing (a finished recovery's journal reads as none).
      const j = new DisasterJournal(ctx.config.stateDir);
      return {
        remote: disasterRemote(ctx.config),
        repository: ctx.config.restic.repository,
        host: j.data.host ?? ctx.config.hostname,
        journal: j.resumed
          ? {
              file: j.file,
              startedAt: j.data.startedAt,
              steps: j.data.done.length,
              host: j.data.host,
              snapshot: j.data.snapshot,
            }
          : undefined,
        needsPassword: passwordRequired(ctx.config),
        unguarded: passwordRequired(ctx.config) ? undefined : unguardedWarning(),
      };
    },
    checkPassword: (password, c) => !!checkConfirmPassword(ctx, disasterAction(ctx.config, c), password),
    // The use case checks the password again (a match is not logged twice) before anything is touched.
    run: (c, password, signal, emit) =>
      disasterJob(ctx, { ...c, confirmation: { password, again: true } }, { emit: logged(emit), signal }),
  };
}
