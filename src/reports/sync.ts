import { btui } from "../command-hint";
import { format } from "../output";
import type { SyncReport } from "../services/sync/sync";
import type { SyncJobReport } from "../usecases/sync";

/**
 * One target's finished sync (or its dry run): what was written, whether the copy matches, what
 * the tamper alarm found, why it failed. `differences` caps the differing files listed (the
 * TUI's run screen lists fewer than the CLI).
 */
export function syncLines(r: SyncReport, o: { differences?: number; errors?: boolean } = {}): string[] {
  const where = r.target === "default" || !r.target ? r.remote : `${r.target} (${r.remote})`;
  const lines: string[] = [];
  if (r.acceptedLoss) lines.push(`accepted at ${where}: ${r.acceptedLoss.message}; this state is the new reference`);
  if (r.tamper)
    return [
      ...lines,
      `TAMPER ALARM: ${r.tamper.message}`,
      `Nothing was written to ${r.target} and nothing more deleted there. Find out what happened (the provider's logs, versions or Object Lock); \`${btui(`verify --remote ${r.target}`)}\` checks what is left, \`${btui(`sync --to ${r.target} --accept-loss`)}\` accepts it.`,
    ];
  if (r.error && !r.verified)
    return o.errors === false ? lines : [...lines, `sync to ${where} FAILED: ${r.error}`, ...(r.hint ? [r.hint] : [])];
  if (r.copied) {
    const n = r.copied.length;
    lines.push(
      r.dryRun
        ? `dry run: would copy ${n} snapshot(s) to ${where}${r.created ? " (a new repository, created first)" : ""}; nothing was changed or recorded`
        : `synced to ${where}: ${n} snapshot(s) copied${r.created ? " into a new repository" : ""}, ${r.remoteSnapshots} there now`,
    );
    return lines;
  }
  const s = r.transfer?.stats;
  const removed = r.mode === "append" ? "" : `, ${r.transfer?.deleted ?? 0} ${r.dryRun ? "to remove" : "removed"}`;
  lines.push(
    r.dryRun
      ? `dry run: would sync to ${where}: ${r.transfer?.copied ?? 0} file(s) to copy (${format.bytes(s?.bytes)})${removed}; nothing was changed or recorded`
      : `synced to ${where}: ${r.transfer?.copied ?? 0} file(s) copied${removed}, ${format.bytes(s?.bytes)} in ${format.ms(Math.round((s?.elapsedTime ?? 0) * 1000))}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ""}`,
  );
  if (r.verified?.ok)
    lines.push(
      r.target === "default" || !r.target
        ? "the cloud copy matches the local repository"
        : `the copy at ${r.target} ${r.mode === "append" ? "holds every file of" : "matches"} the local repository`,
    );
  else if (r.verified)
    lines.push(
      "THE CLOUD COPY DIFFERS from the local repository (restic never rewrites a file: one side is damaged, and it was not copied over the other):",
      ...r.verified.differences.slice(0, o.differences ?? 20).map((d) => `  ${d}`),
      `Run \`${btui("verify --level data")}\` and \`${btui(`verify --remote${r.target && r.target !== "default" ? ` ${r.target}` : ""} --level data`)}\`; \`sync --force\` replaces the cloud's files with the local ones.`,
    );
  if (r.purgedDeletedDirs.length)
    lines.push(`removed kept-deleted folders older than the keep period: ${r.purgedDeletedDirs.join(", ")}`);
  return lines;
}

/** Every target's lines, then which failed, then the kit's warnings. `errors: false`: a failure's own lines are left to the caller (the CLI prints them as errors). */
export function syncJobLines(r: SyncJobReport, o: { differences?: number; errors?: boolean } = {}): string[] {
  const lines = r.targets.flatMap((t) => syncLines(t, o));
  const failed = r.targets.filter((t) => t.exitCode);
  if (failed.length && r.targets.length > 1)
    lines.push(
      `${failed.length} of ${r.targets.length} targets failed (${failed.map((t) => t.target).join(", ")}); the others were synced. \`${btui("sync --to NAME")}\` retries one.`,
    );
  return [...lines, ...r.kitWarnings];
}
