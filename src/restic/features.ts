/** What a restic version can do; detected from `restic version`, never assumed. */
export interface ResticFeatures {
  version: string;
  /** restore --json progress (0.16+). */
  jsonRestore: boolean;
  /** --retry-lock (0.16+). */
  retryLock: boolean;
  /** restore --delete / --overwrite / --dry-run (0.17+). */
  restoreDelete: boolean;
  /** backup --stdin-from-command (0.17+). */
  stdinFromCommand: boolean;
  /** repair / rewrite commands (0.16+). */
  repair: boolean;
  /** Distinct exit codes 10/11/12 (0.17+). */
  exitCodes: boolean;
  /** Snapshot summary in snapshots --json (0.17+). */
  snapshotSummary: boolean;
}

export function parseResticVersion(out: string): string {
  const m = /restic\s+v?(\d+\.\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`cannot read restic's version from: ${out.slice(0, 120)}`);
  return m[1];
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

export const MIN_RESTIC = "0.14.0";

export function featuresOf(version: string): ResticFeatures {
  const atLeast = (v: string) => compareVersions(version, v) >= 0;
  return {
    version,
    jsonRestore: atLeast("0.16.0"),
    retryLock: atLeast("0.16.0"),
    restoreDelete: atLeast("0.17.0"),
    stdinFromCommand: atLeast("0.17.0"),
    repair: atLeast("0.16.0"),
    exitCodes: atLeast("0.17.0"),
    snapshotSummary: atLeast("0.17.0"),
  };
}
