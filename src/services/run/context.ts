import type { Config, PasswordSource } from "../../config/types";
import type { DockerCli } from "../../docker/cli";
import type { DockerApi } from "../../docker/client";
import type { ComposeCli } from "../../docker/compose";
import type { Runner } from "../../exec/runner";
import type { FsSnapshotProvider } from "../../fssnap/provider";
import type { Logger } from "../../log";
import type { Rclone } from "../../rclone/rclone";
import type { Restic } from "../../restic/restic";
import type { StopJournal } from "../../state/journal";
import type { Owner } from "../../state/process-info";
import type { StateStore } from "../../state/store";

/** Everything a service needs, passed in: services do no I/O of their own. */
export interface ServiceContext {
  config: Config;
  runner: Runner;
  docker: DockerApi;
  /** The docker CLI calls beside the Engine API: exec with file streams, image archives, networks, raw inspect. */
  dockerCli: DockerCli;
  compose: ComposeCli;
  restic: Restic;
  /**
   * A restic wrapper for another repository: a pulled copy, the cloud copy (the configured
   * password), or a MODE=restic sync target (its own password source).
   */
  resticFor(repository: string, password?: PasswordSource): Restic;
  rclone: Rclone;
  store: StateStore;
  journal: StopJournal;
  log: Logger;
  owner: Owner;
  version: string;
  /** The snapshot strategy's providers (default: btrfs); tests pass observers. */
  fsSnapshotProviders?: FsSnapshotProvider[];
  /** The least data a hot pass is taken for (default HOT_PASS_MIN); unit tests pass 0: always. */
  hotPassMin?: { bytes: number; entries: number };
}
