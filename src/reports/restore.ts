import { btui } from "../command-hint";
import { join } from "node:path";
import { format } from "../format";
import { table } from "../output";
import type { RestoreReport } from "../services/restore/restore";

/** What was restored, in the words of both faces: "stack web" or "/srv/x of volume data", from which snapshot, where to. */
export interface RestoreSubject {
  label: string;
  shortId: string;
  target?: string;
}

/** A restore's report as text lines: the CLI prints them, the TUI's run screen shows them. */
export function restoreLines(r: RestoreReport, s: RestoreSubject): string[] {
  if (r.mode === "dry-run") return dryRunLines(r, s);
  if (r.mode === "target")
    return [
      `restored ${s.label} from ${s.shortId} under ${s.target}:`,
      ...r.mappings.map((m) => `  ${join(s.target ?? "", m.source)}`),
    ];
  const lines = [
    `restored ${s.label} from ${s.shortId}${r.runId ? ` (run #${r.runId})` : ""}:`,
    ...r.mappings.map((m) => `  ${m.live}${m.live !== m.source ? ` (from ${m.source})` : ""}`),
  ];
  if (r.createdVolumes.length) lines.push(`created volumes: ${r.createdVolumes.join(", ")}`);
  if (r.safetySnapshot)
    lines.push(`the previous data is kept in safety snapshot ${r.safetySnapshot.slice(0, 8)} (kind:pre-restore)`);
  if (r.keptAside?.length)
    lines.push(
      `the previous data is kept at ${r.keptAside.join(", ")}: its safety snapshot failed; \`${btui("recover")}\` takes it again`,
    );
  if (r.downtimeMs) lines.push(`downtime: ${format.ms(r.downtimeMs)}`);
  for (const f of r.notRestarted) lines.push(`URGENT: ${f.name} is not running again: ${f.reason}`);
  return lines;
}

function dryRunLines(r: RestoreReport, s: RestoreSubject): string[] {
  const lines = [`Dry run: restoring ${s.label} from ${s.shortId} would change:`];
  lines.push(
    table(
      ["PATH", "ADDED", "CHANGED", "REMOVED", "BYTES"],
      (r.diff ?? []).map((d) => [
        d.live,
        String(d.added.length),
        String(d.changed.length),
        String(d.removed.length),
        format.bytes(d.bytes),
      ]),
    ),
  );
  for (const d of r.diff ?? []) {
    for (const [k, list] of [
      ["+", d.added],
      ["~", d.changed],
      ["-", d.removed],
    ] as const)
      for (const p of list.slice(0, 20)) lines.push(`  ${k} ${p}`);
  }
  if (r.stopReason)
    lines.push(
      r.stops?.length
        ? `It stops ${r.stops.join(", ")} while the data is swapped in, then starts ${r.stops.length === 1 ? "it" : "them"} again: ${r.stopReason}.`
        : `It stops nothing: ${r.stopReason}.`,
    );
  return lines;
}
