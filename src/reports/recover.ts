import type { Recovery } from "../services/run/preflight";

/** `recover`: what was restarted, stopped, deleted or left alone. */
export function recoverLines(r: Recovery): string[] {
  const lines = [
    r.recovered.length
      ? `restarted: ${r.recovered.join(", ")}`
      : r.swaps.length || r.orphans.length || r.snapshotsRemoved.length || r.gone.length || r.keptSafety.length
        ? ""
        : "nothing to recover",
  ].filter(Boolean);
  if (r.snapshotsRemoved.length)
    lines.push(`deleted filesystem snapshots left by a dead run: ${r.snapshotsRemoved.join(", ")}`);
  for (const s of r.snapshotsLeft) lines.push(s);
  if (r.orphans.length) lines.push(`stopped, left running by a dead run: ${r.orphans.join(", ")}`);
  for (const s of r.swaps)
    lines.push(
      `interrupted restore of ${s.live}: ${s.action === "discarded" ? "discarded (the live data was left as it was)" : s.action}`,
    );
  for (const id of r.keptSafety)
    lines.push(`safety snapshot ${id.slice(0, 8)} (kind:pre-restore) taken of what an interrupted restore replaced`);
  for (const f of r.failed) lines.push(`NOT running: ${f.name} (${f.stack}): ${f.reason}`);
  for (const g of r.gone) lines.push(`no longer exists (dropped from the journal): ${g.name} (${g.stack})`);
  if (r.live) lines.push(`${r.live} entr${r.live === 1 ? "y" : "ies"} belong to a run that is still alive: left alone`);
  return lines;
}
