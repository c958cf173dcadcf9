import type { Phase } from "../services/events";
import type { CatalogSnapshot } from "../state/catalog";

/** "3m", "5h", "2d" since an ISO time; "never" without one. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "[#####-----]": plain characters, readable without colour. */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

const PHASES: Partial<Record<Phase, string>> = {
  "pre-hook": "pre-hook",
  "hot-pass": "hot pass",
  stopping: "stopping",
  "final-pass": "final pass",
  backup: "backing up",
  starting: "starting",
  "post-hook": "post-hook",
  retention: "retention",
  verify: "verifying",
  cleanup: "cleanup",
  recover: "recovering",
};

export function phaseLabel(p: Phase): string {
  return PHASES[p] ?? p;
}

/** Cut to width with an ellipsis, padded to width. */
export function fit(s: string, width: number): string {
  if (width <= 0) return "";
  return s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s.padEnd(width);
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The CLI command that restores a snapshot (or one file of it): restore stays a CLI action for now. */
export function restoreCommand(snap: Pick<CatalogSnapshot, "shortId" | "stack" | "kind" | "tags">, file?: string): string {
  const volume = snap.tags.find((t) => t.startsWith("vol:"))?.slice(4);
  const target = snap.kind === "volume" && volume ? `--volume ${shellQuote(volume)}` : snap.stack ? `--stack ${shellQuote(snap.stack)}` : undefined;
  if (!target) return `restic restore ${snap.shortId} --target DIR${file ? ` --include ${shellQuote(file)}` : ""}`;
  return `backup-tui restore ${target} --snapshot ${snap.shortId}${file ? ` --file ${shellQuote(file)} --target DIR` : ""}`;
}
