import { errorMessage } from "../../errors";
import { hostId } from "../../state/host-id";
import { policyFor } from "../retention/policy";
import type { ServiceContext } from "../run/context";
import { readStatus } from "../status/status";
import { STATUS_FILENAME, STATUS_TAG, statusDocument } from "./document";

/** A status snapshot is a few KiB: publishing it must not hold up the end of a run for long. */
const PUBLISH_TIMEOUT_MS = 120_000;

/**
 * After a run, with [local_backup] PUBLISH_STATUS (on by default with PRUNE_HOST): this host's
 * status as a tiny snapshot tagged backup-tui-status, in the repository it already writes to (an
 * append-only REST server or a key that cannot delete takes it too). Never throws: a status that
 * could not be published is logged, the run's own result stands. Returns the snapshot id.
 */
export async function publishStatus(ctx: ServiceContext, now = new Date()): Promise<string | undefined> {
  if (!ctx.config.fleet.publish) return undefined;
  try {
    const model = await readStatus(ctx, { now });
    const doc = statusDocument(model, {
      version: ctx.version,
      keep: (stack) => policyFor(ctx, stack),
      volumeKeep: ctx.config.retention.keep,
      machine: hostId(ctx.config.stateDir, { create: true }),
      pruneHost: ctx.config.fleet.pruneHost,
    });
    const text = JSON.stringify(doc);
    const id = await ctx.restic.backupText({
      filename: STATUS_FILENAME,
      text,
      host: ctx.config.hostname,
      tags: [STATUS_TAG],
      timeoutMs: PUBLISH_TIMEOUT_MS,
    });
    ctx.store.fleet.put(id, ctx.config.hostname, text);
    ctx.log.info({ snapshot: id.slice(0, 8), bytes: text.length }, "status published");
    return id;
  } catch (err) {
    ctx.log.warn({ err: errorMessage(err) }, "could not publish this host's status");
    return undefined;
  }
}
