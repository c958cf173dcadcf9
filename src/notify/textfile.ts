import { mkdirSync } from "node:fs";
import { writeTextAtomic } from "../state/atomic-file";
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
      const labels =
        s.labels && Object.keys(s.labels).length
          ? `{${Object.entries(s.labels)
              .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
              .join(",")}}`
          : "";
      lines.push(`${m.name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Atomic write, so node_exporter never reads half a file. */
export function writeTextfile(file: string, metrics: Metric[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeTextAtomic(file, render(metrics), 0o644);
}
