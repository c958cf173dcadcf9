/** The candidate a mistyped word most likely meant: at most two edits away (one for short words), closest first. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Within n edits the lengths differ by n at most: far longer (or hostile) words are not compared.
  const most = word.length <= 3 ? 1 : 2;
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    if (c === word || Math.abs(c.length - word.length) > most) continue;
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : distance(c, word);
    if (d <= most && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

/** "; did you mean X?" or nothing. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c ? `; did you mean ${c}?` : "";
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
