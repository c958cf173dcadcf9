import { UsageError } from "./errors";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "10m", "1h30m", "7d" → milliseconds. A bare number is seconds. */
export function parseDuration(text: string, what = "duration"): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]];
    consumed = re.lastIndex;
  }
  if (!t || consumed !== t.length)
    throw new UsageError(
      `invalid ${what}: ${JSON.stringify(text)}`,
      "Use a number with a unit, such as 30s, 10m, 2h or 7d.",
    );
  return total;
}
