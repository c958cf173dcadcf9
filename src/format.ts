/** Human sizes and durations for the CLI, notifications and the TUI. */
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
  when(iso: string | undefined): string {
    if (!iso) return "-";
    const d = new Date(iso);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  },
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
