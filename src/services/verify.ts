import type { VerifyLevel } from "../config/types";
import type { ServiceContext } from "./context";

/** Repository verification in the shared vocabulary (files-level restore comparison comes with the verify issue). */
export async function verifyRepository(ctx: ServiceContext, level: VerifyLevel, signal?: AbortSignal): Promise<{ ok: boolean; level: string; detail?: string }> {
  const opts = level === "data" ? { readData: true } : level === "subset" || level === "files" ? { readDataSubset: "5%" } : {};
  let r = await ctx.restic.check({ ...opts, signal });
  if (!r.ok && /locked/i.test(r.output)) r = await ctx.restic.check({ ...opts, signal });
  return { ok: r.ok, level, detail: r.ok ? undefined : r.output.trim().split("\n").slice(-5).join("\n") };
}
