import { writeFileSync, renameSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export interface Metric {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** Prometheus text exposition format. */
export function render(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    if (!m.samples.length) continue;
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = s.labels && Object.keys(s.labels).length ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      lines.push(`${m.name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Atomic write, so node_exporter never reads half a file. */
export function writeTextfile(file: string, metrics: Metric[]): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, render(metrics), { mode: 0o644 });
  renameSync(tmp, file);
}
