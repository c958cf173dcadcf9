import { z } from "zod";
import type { KeepPolicy } from "../../config/types";
import type { StatusModel } from "../status/status";

/** The tag of a host's status snapshots; they hold one file, STATUS_FILE. */
export const STATUS_TAG = "backup-tui-status";
export const STATUS_FILENAME = "backup-tui-status.json";
/** Where restic keeps a `--stdin-filename` file inside its snapshot. */
export const STATUS_PATH = `/${STATUS_FILENAME}`;
export const STATUS_FORMAT = "backup-tui-status/1";
/** The tag of the small snapshots by which a host claims to tell about a fleet event (src/services/fleet/watch.ts). */
export const EVENT_TAG = "backup-tui-event";
/** An error message in a status is cut here: the document stays small. */
const ERROR_CHARS = 300;

const Keep = z
  .object({
    last: z.number().int().nonnegative(),
    hourly: z.number().int().nonnegative(),
    daily: z.number().int().nonnegative(),
    weekly: z.number().int().nonnegative(),
    monthly: z.number().int().nonnegative(),
    yearly: z.number().int().nonnegative(),
    within: z.string().regex(/^(\d+[ymwdh])+$/),
  })
  .partial()
  .strict();

const Proof = z.object({ at: z.string(), ok: z.boolean(), level: z.string() });

const StackStatus = z.object({
  stack: z.string(),
  lastGood: z
    .object({
      at: z.string(),
      snapshot: z.string().optional(),
      durationMs: z.number(),
      downtimeMs: z.number(),
      bytesAdded: z.number().optional(),
    })
    .optional(),
  last: z.object({ at: z.string(), status: z.string(), error: z.string().optional() }).optional(),
  /** Its scheduled backup: when next, under which schedule, and how old its last good backup may get. */
  next: z.string().optional(),
  schedule: z.string().optional(),
  thresholdMs: z.number().optional(),
  overdue: z.boolean(),
  /** The newest restore proof (verify at the files level) of this stack. */
  verified: Proof.optional(),
  /** The keep policy this host applies to the stack: the prune host applies it to this host's snapshots. */
  keep: Keep.optional(),
});

/** What one host publishes after each run (a status snapshot): everything `status --fleet` shows of it. */
export const StatusDocument = z.object({
  format: z.literal(STATUS_FORMAT),
  host: z.string(),
  publishedAt: z.string(),
  version: z.string(),
  /** This installation's own id (STATE_DIR/host-id): two machines publishing under one name differ in it. */
  machine: z.string().optional(),
  /** The PRUNE_HOST this host's config names: every host of a repository must name the same one. */
  pruneHost: z.string().optional(),
  /** The host publishes again within this long (its shortest scheduled window); absent: nothing scheduled. */
  publishWithinMs: z.number().optional(),
  stacks: z.array(StackStatus),
  /** The keep policy of this host's single-volume snapshots (kind:volume): the prune host applies it per volume. */
  volumeKeep: Keep.optional(),
  verification: Proof.optional(),
  lastRun: z.object({ kind: z.string(), status: z.string(), at: z.string(), error: z.string().optional() }).optional(),
  /** How many things need a person on that host (`status` there lists them). */
  warnings: z.number().int().nonnegative(),
});
export type StatusDocument = z.infer<typeof StatusDocument>;
export type StackStatus = z.infer<typeof StackStatus>;

const cut = (text: string | undefined) =>
  text === undefined ? undefined : text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS - 1)}…` : text;

/**
 * The status document of this host, from its status model (local state only) and the keep policy
 * of each stack (`keep`: the policy a stack's retention applies).
 */
export function statusDocument(
  s: StatusModel,
  o: {
    version: string;
    keep: (stack: string) => KeepPolicy;
    volumeKeep?: KeepPolicy;
    machine?: string;
    pruneHost?: string;
  },
): StatusDocument {
  const windows = s.stacks.flatMap((r) => (r.due ? [r.due.thresholdMs] : []));
  const proof = (v?: { at: string; ok: boolean; level: string }) => v && { at: v.at, ok: v.ok, level: v.level };
  return {
    format: STATUS_FORMAT,
    host: s.host,
    publishedAt: s.now.toISOString(),
    version: o.version,
    machine: o.machine,
    pruneHost: o.pruneHost,
    publishWithinMs: windows.length ? Math.min(...windows) : undefined,
    stacks: s.stacks.map(
      (r): StackStatus => ({
        stack: r.stack,
        lastGood: r.lastGood && {
          at: r.lastGood.startedAt,
          snapshot: r.lastGood.snapshotId,
          durationMs: r.lastGood.durationMs,
          downtimeMs: r.lastGood.downtimeMs,
          bytesAdded: r.lastGood.bytesAdded,
        },
        last: r.last && { at: r.last.startedAt, status: r.last.status, error: cut(r.last.error) },
        next: r.due?.next,
        schedule: r.due?.schedule,
        thresholdMs: r.due?.thresholdMs,
        overdue: r.due?.overdue ?? false,
        verified: proof(r.verified),
        keep: o.keep(r.stack),
      }),
    ),
    volumeKeep: o.volumeKeep,
    verification: proof(s.verification),
    lastRun: s.lastRun && {
      kind: s.lastRun.kind,
      status: s.lastRun.status,
      at: s.lastRun.startedAt,
      error: cut(s.lastRun.error),
    },
    warnings: s.warnings.length,
  };
}

/** A published document read back: undefined when it is not one (another tool's snapshot, a newer format). */
export function parseStatusDocument(text: string, host: string): StatusDocument | undefined {
  try {
    const doc = StatusDocument.safeParse(JSON.parse(text));
    // A document names its own host: one published under another host's name is not trusted.
    return doc.success && doc.data.host === host ? doc.data : undefined;
  } catch {
    return undefined;
  }
}
