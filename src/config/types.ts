import type { Secret } from "../exec/redact";

export type Strategy = "stop" | "down" | "pause" | "none" | "snapshot";
export type VerifyLevel = "metadata" | "subset" | "data" | "files";

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

export interface StackSettings {
  strategy?: Strategy;
  twoPass?: boolean;
  schedule?: string;
  keep?: KeepPolicy;
  exclude: string[];
  extraPaths: string[];
  preHook?: string;
  postHook?: string;
  hookTimeoutSec: number;
  dumps: DumpDeclaration[];
}

/** Section → INI key → its value as written (secrets masked) or its default, and where it came from. */
export type EffectiveKeys = Record<string, Record<string, { value: string; origin: string }>>;

/** The validated, normalised configuration every service receives. */
export interface Config {
  /** Where it came from: a file path, or "embedded default". */
  source: { file?: string; format: "sectioned" | "legacy" | "embedded" };
  stateDir: string;
  dirlistFile: string;
  hostname: string;
  docker: {
    stacksDir?: string;
    timeoutSec: number;
    stopTimeoutSec: number;
    strategy: Strategy;
    twoPass: boolean;
    composeCommand?: string;
    backupBindMounts: boolean;
    /** The snapshot strategy: its fallback when a stack's data is not all on btrfs, how it freezes, the free space it needs. */
    snapshotFallback?: Exclude<Strategy, "snapshot">;
    snapshotFreeze?: "pause" | "stop";
    snapshotMinFree?: string;
  };
  restic: {
    repository: string;
    password: PasswordSource;
    binary: string;
    backupTimeoutSec: number;
    compression?: string;
    /** The embedded default creates its repository on first use. */
    autoInit: boolean;
  };
  retention: { keep: KeepPolicy; autoPrune: boolean };
  /** subset: "5%", "n/N" or "next/N" (the part after the last one read: N runs read everything). */
  verification: { enabled: boolean; depth: VerifyLevel; subset: string };
  space: {
    maxRepoSize?: string;
    minFreePercent?: number;
    lowSpaceAction: "prune" | "skip";
    notifyBeforeDelete?: string;
  };
  cloud: {
    remote?: string;
    path?: string;
    binary: string;
    transfers: number;
    retries: number;
    bandwidth?: string;
    syncTimeoutSec: number;
    configFile?: string;
    keepDeletedDays: number;
    maxDeletePercent: number;
  };
  schedule: Partial<Record<"backup" | "sync" | "verify" | "prune" | "doomsday" | "overdueAfter" | "paused", string>>;
  notify: {
    webhookUrl?: Secret;
    ntfyUrl?: Secret;
    gotifyUrl?: string;
    gotifyToken?: Secret;
    healthchecksUrl?: Secret;
    on: string[];
    prometheusTextfile?: string;
  };
  security: { confirmPasswordHash?: Secret };
  /** The full-host backup: `backup --doomsday`. */
  doomsday?: {
    saveImages: string;
    passwordHint?: string;
    daemonConfig: string;
    portainerUrl?: string;
    portainerToken?: Secret;
  };
  stacks: Record<string, StackSettings>;
  /** Non-fatal findings (unknown keys, inherited passwords). */
  warnings: string[];
  /** The keys by their INI names, for `config show` (set by loadConfig). */
  keys?: EffectiveKeys;
}
