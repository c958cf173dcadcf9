import { z } from "zod";

/** One --use-json-log line; stats lines carry `stats`. */
export const LogLine = z
  .object({
    level: z.string(),
    msg: z.string().optional(),
    object: z.string().optional(),
    size: z.number().optional(),
    /** --dry-run: what it would have done ("copy", "delete", "move into backup dir"). */
    skipped: z.string().optional(),
    stats: z
      .object({
        bytes: z.number(),
        totalBytes: z.number().optional(),
        transfers: z.number().optional(),
        totalTransfers: z.number().optional(),
        errors: z.number().optional(),
        deletes: z.number().optional(),
        checks: z.number().optional(),
        speed: z.number().optional(),
        eta: z.number().nullish(),
        elapsedTime: z.number().optional(),
        fatalError: z.boolean().optional(),
        lastError: z.string().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type LogLine = z.infer<typeof LogLine>;
export type TransferStats = NonNullable<LogLine["stats"]>;
