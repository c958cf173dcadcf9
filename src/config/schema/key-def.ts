import type { z } from "zod";

/** One config key: its value type (parsing the INI string), default, description and how it is treated. */
export interface KeyDef {
  schema: z.ZodType;
  /**
   * Decides what gets deleted, or which snapshots are this host's: while a CONFIRM_PASSWORD_HASH is
   * set, read from the config file only (an environment override is refused, env-overrides.ts).
   */
  guarded?: boolean;
  /** Read from the config file only: its environment override is ignored, with a warning. */
  fileOnly?: boolean;
  /** In the recovery kit's config: a command (hook, password command) is removed whole; a URL keeps scheme and host only. */
  kit?: "command" | "url";
  /** Checked further by the loader's rule checks: a cron expression. */
  cron?: boolean;
  description: string;
  /** The default as it would be written in the file, parsed like a written value. */
  default?: string;
  secret?: boolean;
  example?: string;
}

export type KeyDefs = Record<string, KeyDef>;

/** The typed values of a section's keys: a key with a default always has one. */
export type SectionValues<D extends KeyDefs> = {
  [K in keyof D]: D[K] extends { default: string } ? z.output<D[K]["schema"]> : z.output<D[K]["schema"]> | undefined;
};

/** An object type whose properties that may be undefined become optional ones. */
export type Settings<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
} extends infer O
  ? { [K in keyof O]: O[K] }
  : never;
