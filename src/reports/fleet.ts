import { format, table } from "../output";
import type { Metric } from "../notify/textfile";
import { stateWord } from "../services/fleet/view";
import type { FleetReport } from "../usecases/fleet";

/** `status --fleet` as text: one line per host, then its stacks, worst first. */
export function fleetLines(r: FleetReport): string[] {
  if (!r.hosts.length)
    return [`no host publishes its status into ${r.repository} yet (PUBLISH_STATUS, on by default with PRUNE_HOST)`];
  const now = Date.parse(r.now);
  const rows: string[][] = [];
  for (const h of r.hosts) {
    const published = `${format.age(h.silentMs)} ago${h.publishWithinMs !== undefined ? ` (every ${format.age(h.publishWithinMs)} at most)` : ""}`;
    rows.push([
      h.host,
      "",
      stateWord(h.state),
      `published ${published}`,
      "",
      h.problem ?? (h.warnings ? `${h.warnings} warning(s)` : ""),
    ]);
    for (const s of h.stacks)
      rows.push([
        "",
        s.stack,
        stateWord(s.state),
        s.lastGood ? `${format.when(s.lastGood)} (${format.age(s.ageMs ?? 0)} ago)` : "never",
        s.next ? format.when(s.next) : "-",
        s.verified
          ? `restore proved ${format.age(now - Date.parse(s.verified.at))} ago${s.verified.ok ? "" : " FAILED"}`
          : (s.lastError ?? ""),
      ]);
  }
  return [
    `fleet in ${r.repository}: ${r.hosts.length} host(s), ${r.hosts.filter((h) => h.state !== "ok" && h.state !== "unscheduled").length} need a look`,
    table(["HOST", "STACK", "STATE", "LAST GOOD", "NEXT RUN", ""], rows),
  ];
}

/** The fleet for node_exporter's textfile collector: every sample carries its `host`. */
export function fleetMetrics(r: FleetReport): Metric[] {
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  const stacks = r.hosts.flatMap((h) => h.stacks.map((s) => ({ h, s, labels: { host: h.host, stack: s.stack } })));
  const bad = (state: string) => (["overdue", "silent", "unreadable"].includes(state) ? 1 : 0);
  return [
    {
      name: "backup_tui_fleet_host_published_timestamp_seconds",
      help: "When the host last published its status.",
      type: "gauge",
      samples: r.hosts.map((h) => ({ labels: { host: h.host }, value: seconds(h.publishedAt) })),
    },
    {
      name: "backup_tui_fleet_host_overdue",
      help: "1 when the host has not published within its schedule's window (or cannot be read).",
      type: "gauge",
      samples: r.hosts.map((h) => ({
        labels: { host: h.host },
        value: h.state === "silent" || h.state === "unreadable" ? 1 : 0,
      })),
    },
    {
      name: "backup_tui_fleet_stack_last_success_timestamp_seconds",
      help: "When the stack's last good backup started.",
      type: "gauge",
      samples: stacks.filter((x) => x.s.lastGood).map((x) => ({ labels: x.labels, value: seconds(x.s.lastGood!) })),
    },
    {
      name: "backup_tui_fleet_stack_overdue",
      help: "1 when the stack's last good backup is older than its schedule allows.",
      type: "gauge",
      samples: stacks.map((x) => ({ labels: x.labels, value: bad(x.s.state) })),
    },
    {
      name: "backup_tui_fleet_stack_last_success",
      help: "1 when the stack's last backup succeeded (or partly), else 0.",
      type: "gauge",
      samples: stacks
        .filter((x) => x.s.lastStatus)
        .map((x) => ({
          labels: x.labels,
          value: x.s.lastStatus === "succeeded" || x.s.lastStatus === "partial" ? 1 : 0,
        })),
    },
    {
      name: "backup_tui_fleet_stack_last_downtime_seconds",
      help: "How long the stack was stopped in its last good backup.",
      type: "gauge",
      samples: stacks
        .filter((x) => x.s.downtimeMs !== undefined)
        .map((x) => ({ labels: x.labels, value: x.s.downtimeMs! / 1000 })),
    },
  ];
}
