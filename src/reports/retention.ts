import { btui } from "../command-hint";
import { table } from "../output";
import { spaceLines } from "../services/retention/space-budget";
import type { ForgetReport, ProtectReport } from "../usecases/retention";

/** `forget`: kept and removed per stack, then what the space limits took. */
export function forgetLines(r: Omit<ForgetReport, "exitCode">): string[] {
  const { results, space } = r;
  return [
    `${r.dryRun ? "Dry run: would remove" : "Removed"}:\n${table(
      ["STACK", "KEPT", "REMOVED"],
      results.map((x) => [x.host ? `${x.stack} (host ${x.host})` : x.stack, String(x.kept), String(x.removed.length)]),
    )}`,
    ...(space ? spaceLines(space) : []),
    ...(space?.exhausted ? [`STILL OVER THE SPACE LIMITS: ${space.after.reasons.join("; ")}`] : []),
  ];
}

export function deleteLines(shortIds: string[], pruned: boolean): string[] {
  return [
    `deleted ${shortIds.join(", ")}${pruned ? " and pruned unreferenced data" : ` (data is freed by \`${btui("prune")}\`)`}`,
  ];
}

export function protectLines(r: ProtectReport): string[] {
  const renamed = r.now && r.now.id !== r.was.id ? ` (its id is now ${r.now.shortId})` : "";
  return [`${r.protected ? "protected" : "unprotected"} ${r.was.shortId}${renamed}`];
}

export function cancelLines(r: { before: number; cancelled: number }, ids: string[]): string[] {
  return [
    r.before
      ? `cancelled ${r.cancelled} pending deletion(s)${r.cancelled ? "" : ` (none matched ${ids.join(", ")})`}; the next PRUNE run chooses again if the repository is still over its limits`
      : "no deletions are pending",
  ];
}
