import { format } from "../format";
import { table } from "../output";
import type { DisasterReport, StackRecovery } from "../services/disaster/disaster";

/**
 * A recovery's report (`restore --disaster`) as text lines. compact: one line per stack instead
 * of the table (the TUI's run screen, 80 columns); everything else is the same.
 */
export function disasterLines(r: DisasterReport, o: { compact?: boolean } = {}): string[] {
  const lines = [
    `recovered ${r.host} from doomsday snapshot ${r.snapshot.slice(0, 8)} (${format.when(r.snapshotTime)}) in ${format.ms(r.durationMs)}${r.resumed ? " (continued an interrupted recovery)" : ""}`,
    `created ${r.created.networks.length} network(s), ${r.created.volumes.length} volume(s)${r.imagesLoaded.length ? `; loaded images ${r.imagesLoaded.join(", ")}` : ""}`,
  ];
  if (o.compact) lines.push(...r.stacks.map(stackLine));
  else {
    lines.push(
      table(
        ["STACK", "STATE", "CONTAINERS", "DUMPS LOADED"],
        r.stacks.map((s) => [
          s.stack,
          stateOf(s),
          s.containers.map((c) => `${c.name} ${c.status}${c.health ? `/${c.health}` : ""}`).join(", ") || "-",
          s.dumps.join(", ") || "-",
        ]),
      ),
    );
    for (const s of r.stacks) if (s.error) lines.push(`${s.stack}: ${s.error}`);
  }
  for (const [what, p] of Object.entries(r.files))
    lines.push(`${what} from the old host is at ${p}: review it and put it in place by hand`);
  for (const c of r.manualContainers)
    lines.push(`recreate by hand: ${c.name} (${c.image}), not a Compose container; its volumes are restored`);
  return lines;
}

const stateOf = (s: StackRecovery) => (s.wasRunning ? s.state : "was stopped: not started");

const stackLine = (s: StackRecovery) =>
  `${s.state === "failed" ? "FAILED " : ""}${s.stack}: ${stateOf(s)}${s.error ? `: ${s.error}` : ""}`;
