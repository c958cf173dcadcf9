import { openContext, type CommandEnv } from "../app";
import { when } from "../format";
import { format } from "../output";
import type { DiffItem } from "../services/snapshots/diff";
import { diffJob, type DiffReport } from "../usecases/diff";

/** Lines per section in text; --json lists every one. */
const SHOWN = 200;

/** `diff SNAP [SNAP2|--live]`: added, removed and changed paths with sizes, per volume and path. */
export async function run(
  env: CommandEnv,
  from: string,
  to: string | undefined,
  o: { live?: boolean; stack?: string; host?: string },
): Promise<number> {
  const ctx = openContext(env);
  const report = await diffJob(ctx, { from, to, live: o.live, stack: o.stack, host: o.host }, { signal: env.signal });
  env.printer.result({ type: "diff", ...report }, () => render(report));
  return 0;
}

const size = (i: DiffItem) => (i.size === undefined ? "" : `  ${format.bytes(i.size)}`);
function changedText(i: DiffItem): string {
  if (i.was && i.was.type !== i.type) return `  ${i.was.type} → ${i.type}`;
  return i.was?.size !== undefined && i.size !== undefined
    ? `  ${format.bytes(i.was.size)} → ${format.bytes(i.size)}`
    : "";
}

function render(r: DiffReport): string {
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
    lines.push(...items.slice(0, SHOWN));
    if (items.length > SHOWN) lines.push(`  (${items.length - SHOWN} more: --json lists every one)`);
  }
  const t = r.totals;
  lines.push(
    `total: ${t.added} added, ${t.removed} removed, ${t.changed} changed, ${format.bytes(t.bytes)} new or changed`,
  );
  return lines.join("\n");
}
