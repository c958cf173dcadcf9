// How restic's failures read to a user: its stderr classified into our errors with a hint that fits
// the operation (a missing repository, a password source, a stale lock), never raw restic text alone.
import { btui } from "../command-hint";
import type { Config, PasswordSource } from "../config/types";
import { AppError, ExitCode, ToolError } from "../errors";

/** restic 0.14 reports {"Op","Path","Err":errno} without a message; newer ones {"message"}. */
export function errorText(e: unknown): string {
  if (typeof e === "string") return e;
  const o = (e ?? {}) as { message?: unknown; Op?: unknown; Path?: unknown; Err?: unknown };
  if (typeof o.message === "string") return o.message;
  if (typeof o.Op === "string") {
    const errno: Record<number, string> = {
      1: "operation not permitted",
      2: "no such file or directory",
      5: "input/output error",
      13: "permission denied",
    };
    const why = typeof o.Err === "number" ? (errno[o.Err] ?? `errno ${o.Err}`) : String(o.Err ?? "error");
    return `${o.Op} ${String(o.Path ?? "")}: ${why}`;
  }
  return JSON.stringify(e);
}

/** restic's words for a --parent it cannot load (a prefix, or a full id whose file is gone). */
const PARENT_GONE = /no matching ID found|failed to load snapshot|unable to load parent|loading parent snapshot/i;

/** Whether a backup failed only because its --parent could not be loaded (forgotten by hand, a new repository). */
export const parentGone = (err: unknown): boolean => err instanceof ToolError && PARENT_GONE.test(err.stderrTail);

export function parseLockHolder(stderr: string): { pid: number; host: string } | undefined {
  const m = /locked (?:exclusively |non-exclusively )?by PID (\d+) on (\S+)/.exec(stderr);
  return m ? { pid: Number(m[1]), host: m[2] } : undefined;
}

/** Where the password comes from, for a message: its origin and the file or command (never a value). */
export function describePasswordSource(p: PasswordSource): string {
  if (p.kind === "file") return `the password file ${p.path} (${p.origin || "RESTIC_PASSWORD_FILE"})`;
  if (p.kind === "command") return `the password command (${p.origin || "RESTIC_PASSWORD_COMMAND"})`;
  if (p.kind === "value") return `the password (${p.origin || "RESTIC_PASSWORD"})`;
  return "no password source";
}

/** REMOTE:PATH of the configured cloud copy ([cloud_sync]), or undefined when there is none. */
export function cloudCopyOf(c: Pick<Config, "cloud">): string | undefined {
  return c.cloud.remote ? `${c.cloud.remote}:${c.cloud.path ?? ""}` : undefined;
}

/**
 * What to do about a missing repository where a new one is an answer (backup, init, doctor). With
 * a cloud copy configured the backups may be there (a disaster, a new host): bringing it back
 * comes first, and `init` only for a new setup.
 */
export function newRepositoryHint(repository: string, cloudCopy?: string): string {
  if (!cloudCopy) return `Create it with \`${btui("init")}\`, or fix RESTIC_REPOSITORY in [local_backup].`;
  return `If this host's backups are in the cloud copy ${cloudCopy}, bring it back first with \`${btui(`restore ${repository}`)}\` (a whole new host: \`${btui("restore --disaster")}\`). Only for a new setup (that copy is empty) create it with \`${btui("init")}\`; or fix RESTIC_REPOSITORY in [local_backup].`;
}

/** What a missing repository means depends on the operation: only a backup may start a new one. */
function noRepositoryHint(op: string | undefined, repository: string, cloudCopy?: string): string {
  if (op === "backup" || op === "init") return newRepositoryHint(repository, cloudCopy);
  return `Nothing was read. Check RESTIC_REPOSITORY in [local_backup]; if the repository is only in the cloud copy, bring it back first with \`${btui("restore PATH")}\` (PATH: where it goes).`;
}

/**
 * Turns restic's failures into errors that say what to do. `op` is restic's subcommand (the
 * "no repository" hint depends on it), `password` the configured source (named when it fails).
 */
export function classify(
  err: unknown,
  repository: string,
  context: { op?: string; password?: PasswordSource; cloudCopy?: string } = {},
): unknown {
  if (!(err instanceof ToolError) || err.reason !== "exit") return err;
  const s = err.stderrTail;
  const code = err.toolExitCode;
  const tagged = (e: AppError, kind: string) => Object.assign(e, { kind, cause: err });
  const resolving = /Resolving password failed: (?:Fatal: )?([^"\n]*)/.exec(s);
  if (resolving) {
    const source = context.password ? describePasswordSource(context.password) : "the configured password source";
    const why = resolving[1].replace(/\s+$/, "");
    const fix =
      context.password?.kind === "file"
        ? `Restore the password file from your safe copy to ${context.password.path}, or point RESTIC_PASSWORD_FILE in [local_backup] at it (\`--config FILE\` if this is not the config you meant).`
        : "Fix RESTIC_PASSWORD_COMMAND / RESTIC_PASSWORD_FILE in [local_backup] (`--config FILE` if this is not the config you meant).";
    return tagged(
      new AppError(`restic could not read the repository password from ${source}: ${why}`, ExitCode.config, fix),
      "password-source",
    );
  }
  if (code === 12 || /wrong password|no key found/i.test(s)) {
    return tagged(
      new AppError(
        `restic could not open ${repository}: wrong password`,
        ExitCode.failed,
        "Check the password source in [local_backup] (RESTIC_PASSWORD_FILE / _COMMAND).",
      ),
      "wrong-password",
    );
  }
  if (
    code === 10 ||
    /Is there a repository at the following location|repository does not exist|unable to open config file/i.test(s)
  ) {
    return tagged(
      new AppError(
        `no restic repository at ${repository}`,
        ExitCode.failed,
        noRepositoryHint(context.op, repository, context.cloudCopy),
      ),
      "no-repository",
    );
  }
  if (code === 11 || /repository is already locked/i.test(s)) {
    const holder = parseLockHolder(s);
    return tagged(
      new AppError(
        `the restic repository is locked${holder ? ` by PID ${holder.pid} on ${holder.host}` : ""}`,
        ExitCode.busy,
        `If no other restic runs against it, clear the lock with \`${btui("unlock")}\`.`,
      ),
      "locked",
    );
  }
  if (/no space left on device/i.test(s)) {
    const where = /(?:write|open|create|mkdir) ([^:"]+): no space left on device/i.exec(s)?.[1];
    const lock = /unable to create lock/i.test(s)
      ? " (restic could not even create its lock: unable to create lock)"
      : "";
    return tagged(
      new AppError(
        `no space left on device${where ? ` writing ${where}` : ""}${lock}: restic stopped`,
        ExitCode.failed,
        "Free space there (or set MAX_REPO_SIZE / MIN_FREE_PERCENT so old snapshots make room), then run it again; what was there before is intact.",
      ),
      "no-space",
    );
  }
  return readable(err);
}

/**
 * restic's --json mode writes its errors as JSON lines (exit_error, error): the message becomes
 * their text, and a closing "There were N errors" is preceded by the errors themselves.
 */
function readable(err: ToolError): ToolError {
  const lines = err.stderrTail.split("\n");
  const messages = lines
    .map((l) => {
      try {
        const j = JSON.parse(l) as {
          message_type?: string;
          message?: string;
          error?: { message?: string };
          item?: string;
        };
        if (j.message_type === "exit_error") return j.message;
        if (j.message_type === "error") return `${j.item ? `${j.item}: ` : ""}${j.error?.message ?? j.message ?? ""}`;
      } catch {
        // a plain text line
      }
      return /^(ignoring error|error|Fatal)/i.test(l.trim()) ? l.trim() : undefined;
    })
    .filter((m): m is string => !!m);
  if (!messages.length) return err;
  const shown = [...new Set(messages)].slice(-4).join("; ");
  return new ToolError(
    `restic failed (exit ${err.toolExitCode}): ${shown}`,
    err.command,
    err.toolExitCode,
    err.stderrTail,
    err.reason,
    err.hint,
  );
}
