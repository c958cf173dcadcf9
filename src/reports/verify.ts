import { describeCheck } from "../services/verify/files";
import type { VerifyResult } from "../services/verify/verify";

/** A finished verify: OK with what the files level compared, or FAILED with restic's detail. */
export function verifyLines(r: VerifyResult & { target: string }): string[] {
  const what = `${r.level}${r.part ? ` ${r.part}` : ""}`;
  return r.ok
    ? [`verified ${r.target}: ${what} OK`, ...(r.files ?? []).flatMap(describeCheck)]
    : [`VERIFICATION FAILED for ${r.target} (${what}):`, ...(r.detail ?? "").split("\n")];
}

/** What the verify is about to read: "verifying TARGET (subset 5%)". */
export function verifyStartLine(target: string, level: string, subset?: string): string {
  return `verifying ${target} (${level}${level === "subset" ? ` ${subset}` : ""})`;
}
