import { spawnSync } from "node:child_process";
import type { JournalEntry } from "../../src/state/journal";

/** A journal entry of a dead run (its pid is gone) that stopped `name` of stack `stack`. */
export function deadRunEntry(stack: string, name: string): JournalEntry {
  return {
    id: `3-${stack}`,
    runId: 3,
    stack,
    strategy: "stop",
    project: stack,
    configFiles: [],
    envFiles: [],
    containers: [{ id: `id-${name}`, name, service: "web", action: "stopped", level: 0 }],
    owner: {
      pid: spawnSync("true").pid!,
      host: "test-host",
      startedAt: "2026-01-01T00:00:00Z",
      command: "backup-tui backup",
    },
    writtenAt: "2026-01-01T00:00:00Z",
  };
}
