import { btui, shellQuote } from "../command-hint";
import type { Phase } from "../services/run/events";
import { isManifestPath } from "../services/restore/plan";
import { format } from "../format";
import type { CatalogSnapshot } from "../state/catalog";
import type { RunRow, StackResultRow } from "../state/store";

// The time functions live in src/format.ts with the CLI's (one formatter for both faces).
export { age, duration, span, until, when } from "../format";

/** The first line of a (multi-line) message. */
export function firstLine(s: string | undefined): string {
  return (s ?? "").split("\n")[0].trim();
}

/** "[#####-----]": plain characters, readable without colour. */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

const PHASES: Partial<Record<Phase, string>> = {
  "pre-hook": "pre-hook",
  dump: "dumping databases",
  "hot-pass": "hot pass",
  stopping: "stopping",
  pausing: "pausing",
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

/** The CLI command that restores a snapshot (or one file of it): restore stays a CLI action for now. */
export function restoreCommand(
  snap: Pick<CatalogSnapshot, "shortId" | "stack" | "kind" | "tags">,
  file?: string,
): string {
  const volume = snap.tags.find((t) => t.startsWith("vol:"))?.slice(4);
  const target =
    snap.kind === "volume" && volume
      ? `--volume ${shellQuote(volume)}`
      : snap.stack
        ? `--stack ${shellQuote(snap.stack)}`
        : undefined;
  if (!target) return `restic restore ${snap.shortId} --target DIR${file ? ` --include ${shellQuote(file)}` : ""}`;
  return btui(`restore ${target} --snapshot ${snap.shortId}${file ? ` --file ${shellQuote(file)} --target DIR` : ""}`);
}

/** A result's colour (the word alone says it too, for NO_COLOR). */
export function statusColor(status: string | undefined): string | undefined {
  if (status === "failed") return "red";
  if (status === "partial" || status === "interrupted" || status === "skipped") return "yellow";
  if (status === "succeeded") return "green";
  return undefined;
}

/** Who started a run, in the CLI's words: "manual", or "schedule backup:web". */
export function startedBy(r: Pick<RunRow, "job" | "trigger">): string {
  return format.startedBy(r);
}

const SHORT: Record<string, string> = { succeeded: "ok", partial: "partial", failed: "FAILED", skipped: "skipped" };

/** "web:ok db:FAILED — db: restic exploded": each stack's result, then the run's error (first line). */
export function runNote(stacks: Pick<StackResultRow, "stack" | "status">[], error: string | undefined): string {
  const parts = stacks.map((s) => `${s.stack}:${SHORT[s.status] ?? s.status}`).join(" ");
  return [parts, firstLine(error)].filter(Boolean).join(" — ") || "-";
}

/** A table cell: cut to width-1 with an ellipsis and followed by a space, so columns never touch. */
export function col(s: string, width: number): string {
  return `${fit(s, width - 1)} `;
}

/** Hard-wraps text (at spaces where it can) into at most `max` lines of `width`; the last ends in "…" when cut. */
export function wrapLines(text: string, width: number, max: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  for (const para of text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean)) {
    let rest = para;
    while (rest.length > w) {
      const cut = rest.lastIndexOf(" ", w);
      const at = cut > w / 2 ? cut : w;
      out.push(rest.slice(0, at));
      rest = rest.slice(at).trimStart();
    }
    out.push(rest);
  }
  if (out.length > max) return [...out.slice(0, max - 1), fit(out[max - 1], w - 1).trimEnd() + "…"];
  return out;
}

/** What a restore from this snapshot restores in the TUI: its stack, or its volume; undefined for plain restic snapshots. */
export function restoreScope(
  snap: Pick<CatalogSnapshot, "stack" | "kind" | "tags">,
): { kind: "stack"; stack: string } | { kind: "volume"; volume: string } | undefined {
  const volume = snap.tags.find((t) => t.startsWith("vol:"))?.slice(4);
  if (snap.kind === "volume" && volume) return { kind: "volume", volume };
  return snap.stack ? { kind: "stack", stack: snap.stack } : undefined;
}

/** The volumes a snapshot holds (its vol: tags). */
export function snapshotVolumes(snap: Pick<CatalogSnapshot, "tags">): string[] {
  return snap.tags.filter((t) => t.startsWith("vol:")).map((t) => t.slice(4));
}

/**
 * The volumes a restore can pick from this snapshot: those its manifest maps (the restore finds a
 * volume's path there). A safety snapshot (kind:pre-restore) has vol: tags but no manifest, so none.
 */
export function restorableVolumes(snap: Pick<CatalogSnapshot, "tags" | "paths">): string[] {
  return snap.paths.some(isManifestPath) ? snapshotVolumes(snap) : [];
}
