/** What a finished run tells the outside world. */
export interface RunNotice {
  kind: string;
  runId?: number;
  status: "succeeded" | "partial" | "failed" | "interrupted";
  host: string;
  exitCode: number;
  /** One line per stack or step. */
  lines: string[];
  error?: string;
  startedAt: string;
  finishedAt: string;
  /**
   * An announcement, sent whatever NOTIFY_ON says and never a healthchecks ping (it is not this
   * host's run): true for deletions to come, or its own title (another host of the fleet).
   */
  announce?: boolean | string;
}

export function title(n: RunNotice): string {
  if (typeof n.announce === "string") return n.announce;
  if (n.announce) return `backup-tui ${n.kind} on ${n.host}: snapshots will be deleted`;
  const word =
    n.status === "succeeded"
      ? "succeeded"
      : n.status === "partial"
        ? "finished with warnings"
        : n.status === "interrupted"
          ? "was interrupted"
          : "FAILED";
  return `backup-tui ${n.kind} on ${n.host} ${word}`;
}

export function body(n: RunNotice): string {
  return [...n.lines, ...(n.error ? ["", n.error] : [])].join("\n").slice(0, 4000);
}

/** Whether NOTIFY_ON asks for this outcome (interrupted counts as failure). */
export function wanted(on: string[], status: RunNotice["status"]): boolean {
  const bucket = status === "succeeded" ? "success" : status === "partial" ? "partial" : "failure";
  return on.includes(bucket);
}
