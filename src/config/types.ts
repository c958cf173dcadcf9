// The Config type, inferred from the schema's mappings (src/config/schema/*.ts: each section's keys
// and the function that turns their typed values into this shape); only what the loader adds from
// elsewhere (paths resolved, the password source, the embedded default) is written here.
import type { z } from "zod";
import type { cloudSettings } from "./schema/cloud-sync";
import type { dockerSettings } from "./schema/docker";
import type { doomsdaySettings, securitySettings } from "./schema/doomsday";
import type { Settings } from "./schema/key-def";
import type { localBackupSettings } from "./schema/local-backup";
import type { notifySettings } from "./schema/notify";
import type { scheduleSettings } from "./schema/schedule";
import type { stackSettings } from "./schema/stack";
import type { depth, strategy } from "./schema/values";
import type { Secret } from "../exec/redact";
import type { SyncTarget } from "./targets";

export type Strategy = z.output<typeof strategy>;
export type VerifyLevel = z.output<typeof depth>;

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: string;
}

export type PasswordSource =
  | { kind: "value"; value: Secret; origin: string }
  | { kind: "file"; path: string; origin: string }
  | { kind: "command"; command: string; origin: string }
  | { kind: "none" };

/** A database dump declared in [stack:NAME] DUMP (as the backup-tui.dump labels would). */
export interface DumpDeclaration {
  service: string;
  engine: "postgres" | "mariadb" | "sqlite";
  user?: string;
  database?: string;
  path?: string;
}

/** A [stack:NAME] section's settings (schema/stack.ts). */
export type StackSettings = Settings<ReturnType<typeof stackSettings>>;

/** Section → INI key → its value as written (secrets masked) or its default, and where it came from. */
export type EffectiveKeys = Record<string, Record<string, { value: string; origin: string }>>;

type LocalBackup = ReturnType<typeof localBackupSettings>;
/** T with the properties K made optional. */
type Loose<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** The validated, normalised configuration every service receives. */
export interface Config {
  /** Where it came from: a file path, or "embedded default". */
  source: { file?: string; format: "sectioned" | "legacy" | "embedded" };
  stateDir: string;
  dirlistFile: string;
  hostname: string;
  /** The snapshot keys stay optional (services fall back to their defaults when a Config is built by hand). */
  docker: Loose<Settings<ReturnType<typeof dockerSettings>>, "snapshotFreeze" | "snapshotMinFree">;
  restic: Settings<LocalBackup["restic"]> & {
    repository: string;
    password: PasswordSource;
    /** The embedded default creates its repository on first use. */
    autoInit: boolean;
  };
  /** Several hosts sharing the repository: who prunes, whether this host publishes its status. */
  fleet: Settings<LocalBackup["fleet"]>;
  retention: LocalBackup["retention"];
  verification: LocalBackup["verification"];
  space: Settings<LocalBackup["space"]>;
  cloud: Settings<ReturnType<typeof cloudSettings>>;
  /** The copies off this host, [cloud_sync] (`default`) first: what `sync` writes. */
  targets: SyncTarget[];
  schedule: Settings<ReturnType<typeof scheduleSettings>>;
  notify: Settings<ReturnType<typeof notifySettings>>;
  security: Settings<ReturnType<typeof securitySettings>>;
  /** The full-host backup: `backup --doomsday`. */
  doomsday?: Settings<ReturnType<typeof doomsdaySettings>>;
  stacks: Record<string, StackSettings>;
  /** Non-fatal findings (unknown keys, inherited passwords). */
  warnings: string[];
  /** The keys by their INI names, for `config show` (set by loadConfig). */
  keys?: EffectiveKeys;
}
