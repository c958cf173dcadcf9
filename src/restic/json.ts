import { z } from "zod";

/** restic --json output, validated at the boundary. Unknown fields pass; unknown lines are ignored. */
export const BackupStatus = z.object({
  message_type: z.literal("status"),
  percent_done: z.number().optional(),
  total_files: z.number().optional(),
  files_done: z.number().optional(),
  total_bytes: z.number().optional(),
  bytes_done: z.number().optional(),
  seconds_remaining: z.number().optional(),
  current_files: z.array(z.string()).optional(),
  error_count: z.number().optional(),
});

export const BackupSummary = z.object({
  message_type: z.literal("summary"),
  files_new: z.number(),
  files_changed: z.number(),
  files_unmodified: z.number(),
  dirs_new: z.number().optional(),
  dirs_changed: z.number().optional(),
  dirs_unmodified: z.number().optional(),
  data_added: z.number(),
  data_added_packed: z.number().optional(),
  total_files_processed: z.number(),
  total_bytes_processed: z.number(),
  total_duration: z.number(),
  snapshot_id: z.string().optional(),
  dry_run: z.boolean().optional(),
});
export type BackupSummary = z.infer<typeof BackupSummary>;

export const BackupError = z.object({
  message_type: z.literal("error"),
  error: z
    .union([z.object({ message: z.string() }).passthrough(), z.string(), z.record(z.string(), z.unknown())])
    .optional(),
  during: z.string().optional(),
  item: z.string().optional(),
});

export const BackupLine = z.discriminatedUnion("message_type", [BackupStatus, BackupSummary, BackupError]);

export const Snapshot = z.object({
  time: z.string(),
  parent: z.string().optional(),
  tree: z.string(),
  paths: z.array(z.string()),
  hostname: z.string(),
  username: z.string().optional(),
  tags: z
    .array(z.string())
    .nullish()
    .transform((t) => t ?? []),
  id: z.string(),
  short_id: z.string().optional(),
  /** Set by `restic tag` (protect/unprotect): the id of the snapshot this one rewrote, first of the chain. */
  original: z.string().optional(),
  summary: z
    .object({
      data_added: z.number().optional(),
      total_bytes_processed: z.number().optional(),
      total_files_processed: z.number().optional(),
    })
    .passthrough()
    .optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;
export const SnapshotList = z.array(Snapshot);

export const ForgetGroup = z.object({
  tags: z.array(z.string()).nullish(),
  host: z.string().optional(),
  paths: z.array(z.string()).nullish(),
  keep: z
    .array(Snapshot)
    .nullish()
    .transform((k) => k ?? []),
  remove: z
    .array(Snapshot)
    .nullish()
    .transform((r) => r ?? []),
});
export const ForgetResult = z.array(ForgetGroup);
export type ForgetGroup = z.infer<typeof ForgetGroup>;

export const LsNode = z.object({
  struct_type: z.literal("node").optional(),
  name: z.string(),
  type: z.string(),
  path: z.string(),
  size: z.number().optional(),
  mode: z.number().optional(),
  mtime: z.string().optional(),
});
export type LsNode = z.infer<typeof LsNode>;

export const RestoreStatus = z.object({
  message_type: z.literal("status"),
  percent_done: z.number().optional(),
  total_files: z.number().optional(),
  files_restored: z.number().optional(),
  total_bytes: z.number().optional(),
  bytes_restored: z.number().optional(),
});

export const Stats = z
  .object({ total_size: z.number(), total_file_count: z.number().optional(), snapshots_count: z.number().optional() })
  .passthrough();

/** `restic cat lock ID`: who holds a lock, since when, exclusive or not. */
export const LockInfo = z.object({
  time: z.string(),
  exclusive: z.boolean().optional().default(false),
  hostname: z.string(),
  username: z.string().optional(),
  pid: z.number().int(),
});
export type LockInfo = z.infer<typeof LockInfo>;

/** `restic cat config`: the repository's identity and chunker polynomial. */
export const RepoConfig = z
  .object({ version: z.number(), id: z.string(), chunker_polynomial: z.string() })
  .passthrough();

/** Parses one line of JSON; undefined for anything that is not a JSON object. */
export function jsonLine(line: string): unknown {
  const t = line.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
