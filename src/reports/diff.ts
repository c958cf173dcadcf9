import { when } from "../format";
import { format } from "../output";
import type { DiffItem } from "../services/snapshots/diff";
import type { DiffReport } from "../usecases/diff";

/** Lines per section; --json (and the TUI's scrolling) can show every one. */
export const DIFF_SHOWN = 200;

const size = (i: DiffItem) => (i.size === undefined ? "" : `  ${format.bytes(i.size)}`);
function changedText(i: DiffItem): string {
  if (i.was && i.was.type !== i.type) return `  ${i.was.type} → ${i.type}`;
  return i.was?.size !== undefined && i.size !== undefined
    ? `  ${format.bytes(i.was.size)} → ${format.bytes(i.size)}`
    : "";
}

/** The diff in words: a line per section, a line per path (+ added, - removed, ~ changed), the totals. */
export function diffLines(r: DiffReport, shown = DIFF_SHOWN): string[] {
  const side = (s: DiffReport["from"]) => `${s.shortId} (${when(s.time, true)}${s.stack ? `, stack ${s.stack}` : ""})`;
  const lines = [`diff ${side(r.from)} → ${r.to === "live" ? "the live data now" : side(r.to)}`];
  for (const s of r.sections) {
    const d = s.diff;
    const name = `${s.root}${s.volume ? ` (volume ${s.volume})` : ""}`;
    if (!d.added.length && !d.removed.length && !d.changed.length) {
      lines.push(`${name}: no change`);
      continue;
    }
    lines.push(
      `${name}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${format.bytes(d.bytes)} new or changed`,
    );
    const items = [
      ...d.added.map((i) => `  + ${i.path}${size(i)}`),
      ...d.removed.map((i) => `  - ${i.path}${size(i)}`),
      ...d.changed.map((i) => `  ~ ${i.path}${changedText(i)}`),
    ];
    lines.push(...items.slice(0, shown));
    if (items.length > shown) lines.push(`  (${items.length - shown} more: --json lists every one)`);
  }
  const t = r.totals;
  lines.push(
    `total: ${t.added} added, ${t.removed} removed, ${t.changed} changed, ${format.bytes(t.bytes)} new or changed`,
  );
  return lines;
}
