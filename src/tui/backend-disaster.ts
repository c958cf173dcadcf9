import { UsageError } from "../errors";
import type { ServiceContext } from "../services/run/context";
import { disasterRestore, type DisasterReport } from "../services/disaster/disaster";
import { DisasterJournal } from "../services/disaster/journal";
import type { EventSink } from "../services/run/events";
import { withRunLock } from "../services/run/repository-lock";
import { recoverInterrupted } from "../services/run/preflight";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";
import { checkConfirmPassword, unguardedWarning } from "./backend-guard";

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

/** The CLI's words for the recovery (commands/disaster.ts), also the guard's log line. */
export function disasterAction(remote: string | undefined, c: DisasterChoice): string {
  return `recover the whole Docker host${c.host ? ` ${c.host}` : ""} from ${remote ?? "the repository"} onto this machine${c.overwrite ? " (overwriting what exists)" : ""}`;
}

/** `restore --disaster` as src/commands/disaster.ts runs it: the guard, the lock, preflight, disasterRestore. */
export function disasterBackend(ctx: ServiceContext, logged: (emit: EventSink) => EventSink): DisasterBackend {
  const remote = () => (ctx.config.cloud.remote ? `${ctx.config.cloud.remote}:${ctx.config.cloud.path}` : undefined);
  const hash = () => ctx.config.security.confirmPasswordHash?.reveal();
  const check = (password: string, c: DisasterChoice, again = false) =>
    checkConfirmPassword(ctx, password, disasterAction(remote(), c), again);
  return {
    async plan() {
      // Reading the journal writes nothing (a finished recovery's journal reads as none).
      const j = new DisasterJournal(ctx.config.stateDir);
      return {
        remote: remote(),
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
        needsPassword: !!hash(),
        unguarded: hash() ? undefined : unguardedWarning(),
      };
    },
    checkPassword: (password, c) => check(password, c),
    async run(c, password, signal, emit) {
      if (hash()) {
        if (password === undefined)
          throw new UsageError(`refusing to ${disasterAction(remote(), c)}: a confirmation password is required`);
        if (!check(password, c, true)) throw new UsageError("wrong confirmation password; nothing was changed");
      }
      const sink = logged(emit);
      return withRunLock(ctx, signal, {}, async (signal) => {
        await recoverInterrupted(ctx, sink); // not preflight: it may create an empty repository where the cloud copy goes
        const settleTimeoutMs = Number(process.env.BACKUP_TUI_SETTLE_TIMEOUT_MS) || undefined;
        return disasterRestore(
          ctx,
          {
            host: c.host,
            overwrite: c.overwrite,
            noPull: !ctx.config.cloud.remote,
            retryBaseMs: retryBase(),
            stallTimeoutMs: stallTimeout(),
            settleTimeoutMs,
            signal,
          },
          sink,
        );
      });
    },
  };
}
