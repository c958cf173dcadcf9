import { btui } from "../command-hint";
import { format } from "../output";
import type { SyncReport } from "../services/sync/sync";

/**
 * A finished sync (or its dry run): what was copied, whether the cloud copy matches. `differences`
 * caps the differing files listed (the TUI's run screen lists fewer than the CLI).
 */
export function syncLines(r: SyncReport, o: { differences?: number } = {}): string[] {
  const s = r.transfer?.stats;
  const lines = [
    r.dryRun
      ? `dry run: would sync to ${r.remote}: ${r.transfer?.copied ?? 0} file(s) to copy (${format.bytes(s?.bytes)}), ${r.transfer?.deleted ?? 0} to remove; nothing was changed or recorded`
      : `synced to ${r.remote}: ${r.transfer?.copied ?? 0} file(s) copied, ${r.transfer?.deleted ?? 0} removed, ${format.bytes(s?.bytes)} in ${format.ms(Math.round((s?.elapsedTime ?? 0) * 1000))}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ""}`,
  ];
  if (r.verified?.ok) lines.push("the cloud copy matches the local repository");
  else if (r.verified)
    lines.push(
      "THE CLOUD COPY DIFFERS from the local repository (restic never rewrites a file: one side is damaged, and it was not copied over the other):",
      ...r.verified.differences.slice(0, o.differences ?? 20).map((d) => `  ${d}`),
      `Run \`${btui("verify --level data")}\` and \`${btui("verify --remote --level data")}\`; \`sync --force\` replaces the cloud's files with the local ones.`,
    );
  if (r.purgedDeletedDirs.length)
    lines.push(`removed kept-deleted folders older than the keep period: ${r.purgedDeletedDirs.join(", ")}`);
  return lines;
}
