/** Prometheus text format: every non-comment line is `name{labels} value`; throws on anything else. */
export function parseExposition(text: string): Array<{ name: string; labels: string; value: number }> {
  return text
    .trim()
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+)$/.exec(
        l,
      );
      if (!m) throw new Error(`not exposition format: ${l}`);
      return { name: m[1], labels: m[2] ?? "", value: Number(m[3]) };
    });
}
