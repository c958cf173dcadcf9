/**
 * An INI value (or section name) as the `ini` package (7.0) read it, which config files were
 * parsed with before: a quoted value is JSON-decoded ('single' quotes taken off first; kept as
 * written when that fails); in an unquoted one, \\, \; and \# stand for \, ; and #, and an
 * unescaped ; or # ends it. The result is trimmed.
 */
export function unescapeIni(written: string): string {
  const val = written.trim();
  if (isQuoted(val)) {
    const inner = val.startsWith("'") ? val.slice(1, -1) : val;
    try {
      return String(JSON.parse(inner));
    } catch {
      return inner;
    }
  }
  let out = "";
  let escaped = false;
  for (const c of val) {
    if (escaped) {
      out += "\\;#".includes(c) ? c : `\\${c}`;
      escaped = false;
    } else if (c === ";" || c === "#") break;
    else if (c === "\\") escaped = true;
    else out += c;
  }
  return (escaped ? `${out}\\` : out).trim();
}

function isQuoted(val: string): boolean {
  return (val.startsWith('"') && val.endsWith('"')) || (val.startsWith("'") && val.endsWith("'"));
}
