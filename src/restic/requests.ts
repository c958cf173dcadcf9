// What the Restic client is asked for and answers (backup, forget, restore progress).
import type { KeepPolicy } from "../config/types";
import type { CopyLine } from "./copy-output";
import type { BackupSummary } from "./json";

export interface BackupProgress {
  percent: number;
  bytesDone: number;
  totalBytes: number;
  filesDone: number;
  totalFiles: number;
  secondsRemaining?: number;
  currentFiles: string[];
}

export interface RestoreProgress {
  percent: number;
  bytesDone: number;
  totalBytes: number;
  filesDone: number;
  totalFiles: number;
}

export interface BackupRequest {
  paths: string[];
  host: string;
  tags: string[];
  parent?: string;
  excludes?: string[];
  compression?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  /** Run restic through this argv prefix (the snapshot strategy's private mount namespace). */
  launcher?: string[];
}

export interface BackupResult {
  summary: BackupSummary;
  snapshotId: string;
  /** restic exit 3: the snapshot exists but some files could not be read. */
  partial: boolean;
  unreadable: Array<{ item: string; message: string }>;
}

export interface ForgetRequest {
  ids?: string[];
  tags?: string[];
  host?: string;
  groupBy?: string;
  keep?: KeepPolicy;
  keepTags?: string[];
  prune?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface CopyRequest {
  /** The source's snapshots to copy; none: every one (restic skips those already copied). */
  ids?: string[];
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Each line of restic's output that says something (a snapshot started or saved, pack progress). */
  onLine?: (line: CopyLine) => void;
}

export interface CopyResult {
  /** Short ids as restic prints them: the source snapshot and its new copy. */
  copied: Array<{ source: string; copy: string }>;
}
