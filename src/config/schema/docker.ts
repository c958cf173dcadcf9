import { z } from "zod";
import type { KeyDefs, SectionValues } from "./key-def";
import { bool, fallbackStrategy, path, seconds, size, strategy, text } from "./values";

/** [docker]: how stacks are found and quiesced. */
export const DOCKER_KEYS = {
  DOCKER_STACKS_DIR: {
    schema: path,
    description:
      "Directory whose sub-directories hold Compose projects (compose.yaml, docker-compose.yml, ...). Optional: stacks are also found from running containers' labels.",
    example: "/opt/stacks",
  },
  DOCKER_TIMEOUT: {
    schema: seconds,
    default: "300",
    description: "Seconds any single Docker or Compose operation may take before it is killed.",
  },
  STOP_TIMEOUT: {
    schema: seconds,
    default: "30",
    description: "Seconds a container gets to stop gracefully before Docker kills it.",
  },
  STOP_STRATEGY: {
    schema: strategy,
    default: "stop",
    description:
      "How stacks are quiesced for the backup: stop (Docker API stop/start), down (compose down / up -d), pause (freeze), none (hot backup), snapshot (freeze for a read-only btrfs snapshot, back up from it while the stack runs).",
  },
  SNAPSHOT_FALLBACK: {
    schema: fallbackStrategy,
    description:
      "Strategy for a snapshot stack whose data is not all on btrfs (said in the plan and the summary). Default: STOP_STRATEGY, or stop when that is snapshot.",
    example: "stop",
  },
  SNAPSHOT_FREEZE: {
    schema: z.enum(["pause", "stop"]),
    default: "pause",
    description:
      "How the snapshot strategy freezes a stack's running containers while its btrfs snapshots are taken: pause (well under a second) or stop (a clean shutdown, seconds).",
  },
  SNAPSHOT_MIN_FREE: {
    schema: size,
    default: "1G",
    description:
      "The snapshot strategy refuses a stack (no container is touched) when a btrfs filesystem holding its data has less free space than this: writes while the snapshot exists need room.",
    example: "1G",
  },
  TWO_PASS: {
    schema: bool,
    default: "true",
    description:
      "Low-downtime mode for stop/down: a hot pass while the stack runs, then a short final pass while it is stopped.",
  },
  COMPOSE_COMMAND: {
    kit: "command",
    schema: text,
    description:
      "Compose command for the down strategy: 'docker compose' (v2) or 'docker-compose' (v1). Detected when unset.",
    example: "docker compose",
  },
  BACKUP_BIND_MOUNTS: {
    schema: bool,
    default: "false",
    description: "Also back up bind mounts that lie outside the stack directory.",
  },
} satisfies KeyDefs;

/** Config.docker from the [docker] keys (stacksDir is made absolute by the loader). */
export function dockerSettings(k: SectionValues<typeof DOCKER_KEYS>) {
  return {
    stacksDir: k.DOCKER_STACKS_DIR,
    timeoutSec: k.DOCKER_TIMEOUT,
    stopTimeoutSec: k.STOP_TIMEOUT,
    strategy: k.STOP_STRATEGY,
    twoPass: k.TWO_PASS,
    composeCommand: k.COMPOSE_COMMAND,
    backupBindMounts: k.BACKUP_BIND_MOUNTS,
    /** The snapshot strategy: its fallback when a stack's data is not all on btrfs, how it freezes, the free space it needs. */
    snapshotFallback: k.SNAPSHOT_FALLBACK,
    snapshotFreeze: k.SNAPSHOT_FREEZE,
    snapshotMinFree: k.SNAPSHOT_MIN_FREE,
  };
}
