import { format } from "../format";
import type { TransferProgress } from "./rclone";

/** Nothing moved for this long: the line says so (a speed of 0 alone is rclone's first tick, or the last). */
export const STALLED_AFTER_MS = 10_000;

/** How far a transfer is, 0-1: the final stats are complete (also when there was nothing to send). */
export function transferFraction(p: TransferProgress): number {
  if (p.final) return 1;
  return p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : 0;
}

/**
 * One line for a sync or pull, the same in the CLI, the TUI and the run log: "sync 100% 28.6 MiB/28.6 MiB
 * 5.7 MiB/s 2/2 files, done in 5.0 s"; while rclone still lists and compares, that; a stall only after
 * STALLED_AFTER_MS without headway.
 */
export function transferText(what: string, attempt: number, p: TransferProgress): string {
  const head = `${what}${attempt > 1 ? ` (attempt ${attempt})` : ""}`;
  const idle =
    !p.final && (p.idleMs ?? 0) >= STALLED_AFTER_MS ? ` (no progress for ${Math.floor((p.idleMs ?? 0) / 1000)} s)` : "";
  if (!p.final && !p.bytes && !p.totalBytes && !p.totalTransfers) return `${head}: listing and comparing files${idle}`;
  const pct = Math.floor(transferFraction(p) * 100);
  // rclone reports a stalled transfer's ETA as 2^63 ns: no estimate, not 292 years.
  const tail = p.final
    ? `, done in ${format.ms(Math.round((p.elapsedSec ?? 0) * 1000))}`
    : p.eta && p.eta < 30 * 86_400
      ? ` ETA ${format.ms(Math.round(p.eta) * 1000)}`
      : "";
  return `${head} ${pct}% ${format.bytes(p.bytes)}/${format.bytes(p.totalBytes)} ${format.bytes(Math.round(p.speed))}/s ${p.transfers}/${p.totalTransfers} files${tail}${idle}`;
}
