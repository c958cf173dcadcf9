import { table } from "../output";
import type { PullReport } from "../services/sync/pull";

/** Stage 3's pull: what was copied, whether `restic check` passes, the stacks in it and the restores to run next. */
export function pullLines(r: PullReport, next: { commands: string[]; notes: string[] }): string[] {
  const lines = [
    `pulled ${r.remote} into ${r.path} (${r.transfer?.copied ?? 0} file(s) copied${r.attempts > 1 ? `, ${r.attempts} attempts` : ""})`,
    r.checkOk
      ? "the repository opens with the configured password and passes `restic check`"
      : `RESTIC CHECK FAILED on the pulled repository:\n${r.checkOutput ?? ""}`,
  ];
  if (!r.stacks.length) return [...lines, "no stack snapshots in it"];
  return [
    ...lines,
    "",
    table(
      ["STACK", "HOST", "SNAPSHOTS", "LATEST"],
      r.stacks.map((s) => [s.stack, s.host, String(s.snapshots), s.latest.slice(0, 16).replace("T", " ")]),
    ),
    "",
    "Next steps (each asks for confirmation; add --dry-run to preview):",
    ...next.commands.map((c) => `  ${c}`),
    ...next.notes,
  ];
}
