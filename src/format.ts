/** Human sizes, times and durations for the CLI, notifications and the TUI. */

const p2 = (n: number) => String(n).padStart(2, "0");

/**
 * A time in this machine's zone (schedules are local), "2026-11-22 03:00"; with seconds
 * "2026-11-22 03:00:05"; "-" without one. Every time the CLI and the TUI show goes through here.
 */
export function when(iso: string | undefined, seconds = false): string {
  if (!iso) return "-";
  const d = new Date(iso);
  const s = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
  return seconds ? `${s}:${p2(d.getSeconds())}` : s;
}

/** A length of time in one unit: "45s", "12m", "5h", "3d" (rounded down). */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "3m", "5h", "2d" since an ISO time; "never" without one. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "never";
  return span(now - Date.parse(iso));
}

/** "in 5h" until an ISO time ("due now" once past); "-" without one. */
export function until(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const ms = Date.parse(iso) - now;
  return ms < 1000 ? "due now" : `in ${span(ms)}`;
}

/** A run's length: "850ms", "12.5s", "3m05s"; "-" without one. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

export const format = {
  bytes(n: number | undefined): string {
    if (n === undefined) return "-";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(i ? 1 : 0)} ${u[i]}`;
  },
  ms(ms: number | undefined): string {
    if (ms === undefined) return "-";
    return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
  },
  /** A time in this machine's zone (schedules are local): "2026-12-01 03:00". */
  when: (iso: string | undefined): string => when(iso),
  /** Who started a run, one word in the CLI and the TUI: "manual", or "schedule JOB" ("schedule backup:web"). */
  startedBy(r: { job?: string; trigger: string }): string {
    return r.job ? `schedule ${r.job}` : r.trigger;
  },
  /** An age: "3 h", "2 d". */
  age(ms: number): string {
    return ms < 3_600_000
      ? `${Math.round(ms / 60_000)} min`
      : ms < 172_800_000
        ? `${Math.round(ms / 3_600_000)} h`
        : `${Math.round(ms / 86_400_000)} d`;
  },
};
