import { z } from "zod";

// The value types of the config keys: each parses the INI string (numbers, booleans, enums, sizes,
// durations) into its typed value, with a message in words for what it must look like.

/** What a value must look like, in words, for schemas whose own (zod) messages would read as jargon. */
const EXPECTED = new WeakMap<z.ZodType, string>();
function expecting<T extends z.ZodType>(schema: T, what: string): T {
  EXPECTED.set(schema, what);
  return schema;
}
/** "a number of seconds (1 to 604800), e.g. 10" for a schema built with expecting(); undefined otherwise. */
export function expectedValue(schema: z.ZodType): string | undefined {
  return EXPECTED.get(schema);
}
/** A whole number from min to max; `unit` ("seconds", "days") and an example make the message. */
export const whole = (min: number, max: number, example: number, unit?: string) =>
  expecting(
    z.coerce.number().int().min(min).max(max),
    `a ${unit ? `number of ${unit}` : "whole number"} (${min} to ${max}), e.g. ${example}`,
  );

/** Seconds, as a positive whole number. */
export const seconds = whole(1, 7 * 24 * 3600, 10, "seconds");
export const count = whole(0, 100000, 7);
export const bool = expecting(
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["true", "false", "yes", "no", "1", "0", "on", "off"]))
    .transform((s) => ["true", "yes", "1", "on"].includes(s)),
  "true or false (yes/no, on/off and 1/0 work too)",
);
export const text = expecting(z.string().trim().min(1).max(4096), "a value of at most 4096 characters");
export const path = text.refine((p) => !p.includes("\0"), "must not contain NUL");
/** A cron expression: the loader's rule checks parse it with croner (rules.ts). */
export const cron = text;
export const resticDuration = z
  .string()
  .trim()
  .regex(/^(\d+[yYmMwdDhH])+$|^unlimited$/, "a restic duration such as 7d, 2w, 1y6m");
/** A duration such as 24h or 2d; `example` names two in the message. */
export const duration = (example: string) =>
  z
    .string()
    .trim()
    .regex(/^(\d+(\.\d+)?(s|m|h|d|w))+$/, `a duration such as ${example}`);
export const size = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*[KMGT]?i?B?$/i, "a size such as 500G or 2T");
export const percent = expecting(z.coerce.number().min(0).max(99), "a percentage (0 to 99), e.g. 10");
export const wholePercent = expecting(
  z.coerce.number().int().min(0).max(100),
  "a whole percentage (0 to 100), e.g. 50",
);
export const strategy = z.enum(["stop", "down", "pause", "none", "snapshot"]);
export const fallbackStrategy = z.enum(["stop", "down", "pause", "none"]);
export const depth = z.enum(["metadata", "subset", "data", "files"]);
/** restic's --read-data-subset (a share, or part n of N), or next/N: rotating through N parts. */
export function isSubsetSpec(s: string): boolean {
  const share = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (share) return Number(share[1]) > 0 && Number(share[1]) <= 100;
  const part = /^(\d+)\/(\d+)$/.exec(s);
  if (part) return Number(part[1]) >= 1 && Number(part[1]) <= Number(part[2]);
  const next = /^next\/(\d+)$/.exec(s);
  return !!next && Number(next[1]) >= 2 && Number(next[1]) <= 10000;
}
export const subsetSpec = z
  .string()
  .trim()
  .refine(isSubsetSpec, "a share such as 5%, a part n/N such as 1/10, or next/N such as next/12");
export const bwlimit = z
  .string()
  .trim()
  .regex(
    /^(0|\d+(\.\d+)?[BKMGTP]?(:\d+(\.\d+)?[BKMGTP]?)?|off)$/i,
    "an rclone bandwidth such as 10M, 512K or 0 (unlimited)",
  );
export const hostname = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, "a host name of letters, digits, '.', '_' and '-'");
export const remote = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-][A-Za-z0-9_. -]*$/, "an rclone remote name");
export const jobList = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.:-]+(\s*,\s*[A-Za-z0-9_.:-]+)*$/, "a comma list of job ids such as sync, backup:db");
