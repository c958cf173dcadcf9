import { format, table } from "../output";
import type { BackupReport } from "../services/backup/backup";
import type { BackupPlan } from "../services/backup/plan";

/** A finished backup: the per-stack table, then what needs reading (unreadable files, failures, containers left down). */
export function backupLines(r: BackupReport): string[] {
  const rows = r.outcomes.map((o) => [
    o.stack,
    o.status,
    format.ms(o.durationMs),
    o.downtimeMs ? format.ms(o.downtimeMs) : "0",
    format.bytes(o.bytesAdded),
    o.snapshotId?.slice(0, 8) ?? "-",
  ]);
  const lines = [table(["STACK", "RESULT", "DURATION", "DOWNTIME", "ADDED", "SNAPSHOT"], rows)];
  for (const o of r.outcomes) {
    if (o.unreadable?.length)
      lines.push(
        `${o.stack}: ${o.unreadable.length} file(s) could not be read:\n  ${o.unreadable.slice(0, 20).join("\n  ")}`,
      );
    for (const n of o.notes ?? []) lines.push(`${o.stack}: ${n}`);
    if (o.status === "failed" && o.error) lines.push(`${o.stack} failed: ${o.error}`);
    for (const f of o.notRestarted ?? [])
      lines.push(
        `URGENT: ${f.name} (${o.stack}) is not running again: ${f.reason}${f.logTail ? `\n  last log lines:\n    ${f.logTail.trim().split("\n").join("\n    ")}` : ""}`,
      );
  }
  if (r.retention) lines.push(`retention: ${r.retention.map((x) => `${x.stack} -${x.removed}`).join(", ")}`);
  if (r.verification)
    lines.push(
      `verification (${r.verification.level}): ${r.verification.ok ? "ok" : `FAILED\n${r.verification.detail ?? ""}`}`,
    );
  lines.push(`run #${r.runId}: ${r.status}`);
  return lines;
}

/** "postgres dump of db (app-db-1), database app as user postgres". */
function dumpLine(d: BackupPlan["stacks"][number]["dumps"][number]): string {
  const detail =
    d.engine === "sqlite"
      ? `file ${d.path}`
      : [d.database ? `database ${d.database}` : "all databases", d.user ? `as user ${d.user}` : ""]
          .filter(Boolean)
          .join(" ");
  return `${d.engine} dump of ${d.service} (${d.container}), ${detail}`;
}

/** `backup --dry-run`: what each stack's backup would stop, dump, snapshot and read. */
export function planLines(plan: BackupPlan): string[] {
  const out: string[] = [
    "Dry run: nothing is stopped, nothing is written.",
    ...(plan.notes ?? []).map((n) => `note: ${n}`),
    "",
  ];
  for (const s of plan.stacks) {
    out.push(
      `${s.stack} (${s.state}) strategy ${s.strategy}${s.twoPass ? ", two-pass" : ""}, about ${format.bytes(s.estimatedBytes)}`,
    );
    for (const d of s.dumps) out.push(`  would dump first, while the service runs: ${dumpLine(d)}`);
    if (s.stop.length) out.push(`  would stop: ${s.stop.join(", ")}`);
    if (s.pause.length) out.push(`  would pause: ${s.pause.join(", ")}`);
    if (s.down.length) out.push(`  would compose down/up: ${s.down.join(", ")}`);
    for (const v of s.snapshots ?? []) out.push(`  would snapshot (btrfs, read-only): ${v}`);
    for (const u of s.untouched) out.push(`  leaves alone: ${u}`);
    for (const p of s.paths) out.push(`  path: ${p}`);
    for (const e of s.excludes) out.push(`  exclude: ${e}`);
    for (const n of s.notes) out.push(`  note: ${n}`);
  }
  return out;
}
