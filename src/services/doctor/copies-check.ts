import type { Config } from "../../config/types";
import { probeTarget, type ProbeDeps, type ProbeResult } from "../sync/probe";
import type { Check } from "./check";

/** Per sync target: can this host destroy the copy? Only "protected" is ok; the rest say what to change. */
export async function checkCopies(config: Config, probe: ProbeDeps): Promise<Check[]> {
  const results = await Promise.all(config.targets.map((t) => probeTarget(t, probe)));
  return results.map((r: ProbeResult) => ({
    name: `copy ${r.target}`,
    status: r.verdict === "protected" ? "ok" : "warn",
    detail: `${r.where}: ${r.verdict === "erasable" ? "ERASABLE from this host" : r.verdict}: ${r.detail}`,
    hint: r.hint,
    data: { ...r },
  }));
}
