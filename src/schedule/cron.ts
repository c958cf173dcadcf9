import { btui } from "../command-hint";
import { Cron } from "croner";

// Cron expressions as the config holds them: 5 fields (minute hour day month weekday), 6 with
// seconds first, or a nickname (@daily...). Parsed by croner (vixie semantics: a restricted day of
// month and day of week match either); expanded here for the human description and for systemd.

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** One field expanded: every value it matches, and whether it was a bare `*`. */
interface Field {
  values: number[];
  any: boolean;
  /** A step over the whole range (`*` + `/N`), kept for the description. */
  step?: number;
}

export interface Schedule {
  /** The expression as written. */
  expr: string;
  /** Six fields (seconds first) after nickname expansion. */
  fields: [string, string, string, string, string, string];
  second: Field;
  minute: Field;
  hour: Field;
  dom: Field;
  month: Field;
  dow: Field;
}

export class CronError extends Error {}

/** Parses and validates; the message says what is wrong in words a config author can act on. */
export function parseSchedule(expr: string): Schedule {
  const trimmed = expr.trim();
  if (!trimmed) throw new CronError("empty: a cron expression has 5 fields (minute hour day month weekday)");
  if (trimmed.toLowerCase() === "@reboot")
    throw new CronError("@reboot is not a schedule (boot-time recovery is installed by `schedule install`)");
  const expanded = NICKNAMES[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith("@"))
    throw new CronError(
      `unknown nickname ${JSON.stringify(trimmed)} (use @hourly, @daily, @weekly, @monthly or @yearly)`,
    );
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    throw new CronError(
      `${parts.length} fields: a cron expression has 5 (minute hour day month weekday), or 6 with seconds first`,
    );
  try {
    new Cron(expanded, { paused: true, mode: "5-or-6-parts" }).stop();
  } catch (err) {
    throw new CronError(String((err as Error).message ?? err).replace(/^CronPattern: /, ""));
  }
  const fields = (parts.length === 5 ? ["0", ...parts] : parts) as Schedule["fields"];
  return {
    expr: trimmed,
    fields,
    second: expand(fields[0], 0, 59),
    minute: expand(fields[1], 0, 59),
    hour: expand(fields[2], 0, 23),
    dom: expand(fields[3], 1, 31),
    month: expand(fields[4], 1, 12, MONTHS, 1),
    dow: expand(fields[5], 0, 7, DAYS, 0),
  };
}

/** Expands a field (lists, ranges, steps, names). L, W, # and ? are croner's own: kept as "special". */
function expand(field: string, min: number, max: number, names?: string[], nameBase = 0): Field {
  if (field === "*" || field === "?") return { values: range(min, max === 7 ? 6 : max), any: true };
  const values = new Set<number>();
  let step: number | undefined;
  for (const part of field.toLowerCase().split(",")) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m || /[lw#]/.test(m[1].replace(/[a-z]{3}/g, (n) => (names?.includes(n) ? "0" : n))))
      return { values: [], any: false };
    const by = m[2] ? Number(m[2]) : 1;
    const num = (s: string) => (names?.includes(s) ? names.indexOf(s) + nameBase : Number(s));
    let lo: number;
    let hi: number;
    if (m[1] === "*") {
      [lo, hi] = [min, max === 7 ? 6 : max];
      if (field.split(",").length === 1) step = by;
    } else if (m[1].includes("-")) {
      [lo, hi] = m[1].split("-").map(num) as [number, number];
      if (max === 7 && hi === 0 && lo > 0) hi = 7; // fri-sun: Sunday closes the range
    } else {
      lo = num(m[1]);
      hi = m[2] ? (max === 7 ? 6 : max) : lo;
    }
    for (let v = lo; v <= hi; v += by) values.add(max === 7 ? v % 7 : v);
  }
  const sorted = [...values].sort((a, b) => a - b);
  // 0-7 or mon-sun: every day of the week is the same as *.
  return { values: sorted, any: max === 7 && sorted.length === 7, step };
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
/** True when a field uses croner extensions (L, W, #) that systemd and cron cannot express. */
const special = (f: Field) => !f.any && f.values.length === 0;

/** The next `n` run times after `from`. */
export function nextRuns(s: Schedule, n: number, from: Date = new Date()): Date[] {
  const c = new Cron(cronPattern(s), { paused: true });
  try {
    return c.nextRuns(n, from);
  } finally {
    c.stop();
  }
}

/** The six-field pattern croner runs (nicknames expanded). */
export const cronPattern = (s: Schedule) => s.fields.join(" ");

/**
 * The longest gap between consecutive runs over the next few: the interval a stack's last good
 * backup is measured against (weekdays-only schedules have a 3-day gap over the weekend).
 */
export function longestInterval(s: Schedule, from: Date = new Date()): number {
  const runs = nextRuns(s, 15, from);
  let longest = 0;
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i].getTime() - runs[i - 1].getTime());
  return longest;
}

const pad = (n: number) => String(n).padStart(2, "0");
const list = (f: Field, names?: string[]) => f.values.map((v) => (names ? names[v] : String(v))).join(", ");

/** A short description in words, e.g. "every day at 03:00", "every 15 minutes", "Sun at 04:30". */
export function describe(s: Schedule): string {
  if ([s.second, s.minute, s.hour, s.dom, s.month, s.dow].some(special)) return `cron ${s.expr}`;
  let time: string;
  const secs =
    s.second.values.length === 1 && s.second.values[0] === 0
      ? ""
      : s.second.any
        ? "every second"
        : s.second.step
          ? `every ${s.second.step} seconds`
          : `at second ${list(s.second)}`;
  if (secs && (!s.minute.any || !s.hour.any)) return `cron ${s.expr}`;
  if (secs) time = secs.startsWith("every") ? secs : `every minute ${secs}`;
  else if (s.minute.any && s.hour.any) time = "every minute";
  else if (s.minute.step && s.hour.any) time = `every ${s.minute.step} minutes`;
  else if (s.hour.any) time = `every hour at :${s.minute.values.map(pad).join(", :")}`;
  else if (s.hour.step && s.minute.values.length === 1)
    time = `every ${s.hour.step} hours at :${pad(s.minute.values[0])}`;
  else if (s.hour.values.length * s.minute.values.length <= 4)
    time = `at ${s.hour.values.flatMap((h) => s.minute.values.map((m) => `${pad(h)}:${pad(m)}`)).join(", ")}`;
  else return `cron ${s.expr}`;

  const days: string[] = [];
  const weekdays = `every ${spans(s.dow.values)
    .map(([a, b]) => (a === b ? DAY_NAMES[a] : `${DAY_NAMES[a]}–${DAY_NAMES[b]}`))
    .join(", ")}`;
  if (!s.dom.any) days.push(`on day ${list(s.dom)} of the month`);
  if (!s.dow.any) days.push(s.dom.any ? weekdays : `and ${weekdays}`);
  if (!s.month.any) days.push(`in ${s.month.values.map((m) => MONTH_NAMES[m - 1]).join(", ")}`);
  if (time.startsWith("every")) return [time, ...days.map((d) => d.replace(/^every /, "on "))].join(" ");
  return [...(s.dom.any && s.dow.any ? ["every day"] : []), ...days, time].join(" ");
}

/** Consecutive runs of values as [from, to] pairs: 1,2,3,5 → [1,3], [5,5]. */
function spans(values: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && v === last[1] + 1) last[1] = v;
    else out.push([v, v]);
  }
  return out.flatMap(([a, b]) =>
    b === a + 1
      ? [
          [a, a],
          [b, b],
        ]
      : [[a, b]],
  ) as Array<[number, number]>;
}

/**
 * systemd OnCalendar= values for the schedule: one, or two when both day of month and day of
 * week are restricted (cron matches either; systemd's one line would need both).
 */
export function toOnCalendar(s: Schedule): string[] {
  if ([s.second, s.minute, s.hour, s.dom, s.month, s.dow].some(special))
    throw new CronError(`${s.expr}: L, W and # cannot be expressed as a systemd calendar; use \`${btui("daemon")}\``);
  const num = (f: Field, width = 2) => (f.any ? "*" : f.values.map((v) => String(v).padStart(width, "0")).join(","));
  const time = `${num(s.hour)}:${num(s.minute)}:${num(s.second)}`;
  const date = (dom: Field) => `*-${num(s.month)}-${num(dom)}`;
  const days = (f: Field) => (f.any ? "" : `${f.values.map((v) => DAY_NAMES[v]).join(",")} `);
  if (!s.dom.any && !s.dow.any)
    return [`${date(s.dom)} ${time}`, `${days(s.dow)}${date({ values: [], any: true })} ${time}`];
  return [`${days(s.dow)}${date(s.dom)} ${time}`];
}

/** The five fields for a crontab line; refused when the schedule needs seconds. */
export function toCronFields(s: Schedule): string {
  if (!(s.second.values.length === 1 && s.second.values[0] === 0))
    throw new CronError(
      `${s.expr}: cron runs at most once a minute; drop the seconds field or use --systemd or \`${btui("daemon")}\``,
    );
  if ([s.minute, s.hour, s.dom, s.month, s.dow].some(special))
    throw new CronError(`${s.expr}: L, W and # are not understood by cron; use \`${btui("daemon")}\``);
  return s.fields
    .slice(1)
    .map((f) => (f === "?" ? "*" : f))
    .join(" ");
}
