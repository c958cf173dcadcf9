import { errorMessage } from "../../errors";
import type { ServiceContext } from "./context";

/**
 * Writes out the dirty data of the filesystem holding `path` (syncfs, through `sync -f`). A
 * failure is logged, not thrown: what is flushed only makes later steps shorter or safer.
 */
export async function flushFilesystem(
  ctx: Pick<ServiceContext, "runner" | "log">,
  path: string,
  why: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await ctx.runner.run("sync", ["--file-system", path], { signal, timeoutMs: 600_000 });
  } catch (err) {
    if (signal?.aborted) throw err;
    ctx.log.warn({ err: errorMessage(err), path }, `could not flush ${why} to disk (sync -f)`);
  }
}
