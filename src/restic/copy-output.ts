// restic copy writes no JSON (0.19 ignores --json for it): its text lines, one at a time.

/** One line of `restic copy` that says something: a snapshot started, skipped, saved, or pack progress. */
export type CopyLine =
  | { kind: "start"; source: string }
  | { kind: "skipped"; source: string; copy: string }
  | { kind: "copied"; source: string; copy: string }
  | { kind: "packs"; done: number; total?: number };

const ID = "([0-9a-f]{8,64})";
const START = new RegExp(`^snapshot ${ID} of \\[`);
const SKIPPED = new RegExp(`^skipping source snapshot ${ID}, was already copied to snapshot ${ID}`);
// 0.19: "snapshot NEW saved, copied from source snapshot OLD"; older ones say "snapshot NEW saved" alone.
const COPIED = new RegExp(`^snapshot ${ID} saved, copied from source snapshot ${ID}`);
const PACKS = /^\[[\d:]+\]\s+(?:[\d.]+%\s+)?(\d+)(?:\s*\/\s*(\d+))?\s+packs copied/;

export function parseCopyLine(line: string): CopyLine | undefined {
  const t = line.trim();
  let m = COPIED.exec(t);
  if (m) return { kind: "copied", copy: m[1], source: m[2] };
  m = SKIPPED.exec(t);
  if (m) return { kind: "skipped", source: m[1], copy: m[2] };
  m = START.exec(t);
  if (m) return { kind: "start", source: m[1] };
  m = PACKS.exec(t);
  if (m) return { kind: "packs", done: Number(m[1]), total: m[2] === undefined ? undefined : Number(m[2]) };
  return undefined;
}
