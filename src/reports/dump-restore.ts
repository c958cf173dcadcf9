import { format } from "../format";
import type { DumpRestorePlan, DumpRestoreReport } from "../services/dumps/restore";

/** What a dump restore did (`restore --stack NAME --dump SERVICE`), as text lines. */
export function dumpRestoreLines(r: DumpRestoreReport, shortId: string): string[] {
  return [
    `loaded ${r.service}'s ${r.engine} dump (${format.bytes(r.bytes)}) from ${shortId} into ${r.container} in ${format.ms(r.ms)}`,
    `the database as it was before is kept in safety snapshot ${r.safetySnapshot?.slice(0, 8)} (kind:pre-restore)`,
    ...r.warnings.map((w) => `warning from the database: ${w}`),
  ];
}

/** What a dump restore would do (`--dry-run`): nothing was changed. */
export function dumpRestorePlanLines(p: DumpRestorePlan, stack: string, shortId: string): string[] {
  return [
    `Dry run: restoring ${stack}'s ${p.service} database from snapshot ${shortId} would:`,
    `  load the ${p.engine} dump ${p.file} (${format.bytes(p.bytes)}, sha256 ${p.sha256.slice(0, 16)}…, made ${format.when(p.snapshotTime)}; its hash is checked first)`,
    `  into the running container ${p.container}${p.database ? `, database ${p.database}` : ""}${p.user ? ` as ${p.user}` : ""}`,
    `  after keeping a dump of ${p.service} as it is now in a safety snapshot (kind:pre-restore)`,
    "  stop nothing: the database keeps running while the dump loads",
    "Nothing was changed.",
  ];
}
