/** Process groups the runner started that may still be alive. Dependency-free, so cli.ts stays light. */
export const liveGroups = new Set<number>();

export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Kill every process group we started that still runs (used on exit paths). */
export function killAllChildren(signal: NodeJS.Signals = "SIGKILL"): void {
  for (const pgid of liveGroups) killGroup(pgid, signal);
}
