import { retryBase, stallTimeout } from "../services/sync/transfer-timing";
import { btui } from "../command-hint";
import { eventSink, openContext, type CommandEnv } from "../app";
import { ExitCode, UsageError, errorMessage } from "../errors";
import { format } from "../output";
import { pushKit } from "../services/doomsday/doomsday";
import { preflight } from "../services/run/preflight";
import { syncRepository } from "../services/sync/sync";
import { withRepoLock } from "./locked";
import { startScheduled } from "./scheduled";

interface Options {
  dryRun?: boolean;
  bwlimit?: string;
  transfers?: string;
  force?: boolean;
  scheduled?: boolean;
  wait?: string;
}

export async function run(env: CommandEnv, o: Options): Promise<number> {
  const transfers = o.transfers === undefined ? undefined : Number(o.transfers);
  if (transfers !== undefined && (!Number.isInteger(transfers) || transfers < 1 || transfers > 256))
    throw new UsageError(`--transfers must be a whole number from 1 to 256 (got ${JSON.stringify(o.transfers)})`);
  const ctx = openContext(env);
  if (o.scheduled && !startScheduled(env, ctx, "sync", "sync")) return ExitCode.ok;
  // Never while a backup writes the repository: the same lock as backup (or --wait for it).
  return withRepoLock(ctx, env, o.wait, async () => {
    const emit = eventSink(env, ctx);
    await preflight(ctx, emit, env.signal);
    const r = await syncRepository(
      ctx,
      {
        dryRun: o.dryRun,
        bwlimit: o.bwlimit,
        transfers,
        force: o.force,
        retryBaseMs: retryBase(),
        stallTimeoutMs: stallTimeout(),
        signal: env.signal,
      },
      emit,
    );
    // The doomsday recovery kit goes beside the cloud copy (RCLONE_PATH.kit), readable without the password.
    const kit =
      o.dryRun || r.exitCode
        ? undefined
        : await pushKit(ctx, env.signal).catch(
            (err) =>
              void env.printer.warn(`the recovery kit was not copied beside the cloud copy: ${errorMessage(err)}`),
          );
    if (kit) emit({ type: "info", message: `recovery kit copied to ${kit}` });
    env.printer.result({ type: "sync", ...r }, () => {
      const s = r.transfer?.stats;
      const lines = [
        r.dryRun
          ? `dry run: would sync to ${r.remote}: ${r.transfer?.copied ?? 0} file(s) to copy (${format.bytes(s?.bytes)}), ${r.transfer?.deleted ?? 0} to remove; nothing was changed or recorded`
          : `synced to ${r.remote}: ${r.transfer?.copied ?? 0} file(s) copied, ${r.transfer?.deleted ?? 0} removed, ${format.bytes(s?.bytes)} in ${format.ms(Math.round((s?.elapsedTime ?? 0) * 1000))}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ""}`,
      ];
      if (r.verified) {
        lines.push(
          r.verified.ok
            ? "the cloud copy matches the local repository"
            : `THE CLOUD COPY DIFFERS from the local repository (restic never rewrites a file: one side is damaged, and it was not copied over the other):\n  ${r.verified.differences.slice(0, 20).join("\n  ")}\nRun \`${btui("verify --level data")}\` and \`${btui("verify --remote --level data")}\`; \`sync --force\` replaces the cloud's files with the local ones.`,
        );
      }
      if (r.purgedDeletedDirs.length)
        lines.push(`removed kept-deleted folders older than the keep period: ${r.purgedDeletedDirs.join(", ")}`);
      return lines.join("\n");
    });
    return r.exitCode;
  });
}
