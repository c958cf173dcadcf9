import { readFileSync, statSync } from "node:fs";
import { writeTextAtomic } from "../state/atomic-file";

/**
 * Sets KEY=value inside [section] of an INI file, keeping every other line as it is:
 * replaces the key's line if present, else adds it under the section, else appends the
 * section. Written atomically; the file ends up 0600.
 */
export function setIniValue(file: string, section: string, key: string, value: string): void {
  const text = readFileSync(file, "utf8");
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  let current = "";
  let headerAt = -1;
  let keyAt = -1;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const h = /^\[(.*)\]$/.exec(line);
    if (h) {
      current = h[1].trim();
      if (current === section && headerAt < 0) headerAt = i;
      return;
    }
    if (current === section && new RegExp(`^${key}\\s*=`).test(line)) keyAt = i;
  });
  const entry = `${key}=${value}`;
  if (keyAt >= 0) lines[keyAt] = entry;
  else if (headerAt >= 0) lines.splice(headerAt + 1, 0, entry);
  else {
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    lines.push("", `[${section}]`, entry, "");
  }
  const out = lines.join(eol);
  let mode = 0o600;
  try {
    mode = statSync(file).mode & 0o700;
  } catch {
    // keep 0600
  }
  writeTextAtomic(file, out.endsWith(eol) ? out : out + eol, mode);
}
