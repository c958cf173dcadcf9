import ini from "ini";
import { ConfigError } from "../errors";
import { isSecretName, redact } from "../exec/redact";

export interface IniDoc {
  /** Top-level keys (the legacy flat format). */
  flat: Record<string, string>;
  /** Section name → key → raw string value. */
  sections: Record<string, Record<string, string>>;
  /** "section.KEY" (or ".KEY" for flat keys) → 1-based line number; "[section]" → its first header's line. */
  lines: Map<string, number>;
  warnings: string[];
  /** Lines that cannot be read: reported with the other problems, not one at a time. */
  errors: string[];
  /** How to fix those (one per kind of problem). */
  hints: string[];
}

/** Keys whose values are taken whole: an unquoted ; or # in them is an error, not a comment. */
const WHOLE_VALUE_KEYS = /PASSWORD|TOKEN|HOOK|COMMAND|URL|EXCLUDE|HASH/;

/**
 * Parses INI text with the `ini` package, adding what it does not do: line numbers for
 * messages, dotted section names kept whole, duplicate-key warnings, and a refusal to
 * silently cut secrets or commands at ; or #.
 */
export function parseIni(bytes: Buffer, file: string): IniDoc {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`${file}: not valid UTF-8 text`, "Save the config file as UTF-8.");
  }
  if (text.includes("\0")) throw new ConfigError(`${file}: contains NUL bytes; it is not a text config file`);
  const lines = new Map<string, number>();
  const warnings: string[] = [];
  const errors: string[] = [];
  const hints = new Set<string>();
  let section = "";
  const escaped = text.split(/\r?\n/).map((raw, i) => {
    const line = raw.trim();
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      if (!lines.has(`[${section}]`)) lines.set(`[${section}]`, i + 1);
      // INI would cut "[stack:a;b]" to "stack:a" and apply its keys to another stack.
      if (/[;#]/.test(section))
        throw new ConfigError(
          `${file}:${i + 1}: [${section}]: a section name cannot contain ';' or '#'`,
          "Rename the section (stack names are letters, digits, '.', '_' and '-').",
        );
      return `[${section.replace(/\./g, "\\.")}]`;
    }
    const kv = /^([^=;#[]+?)\s*=\s*(.*)$/.exec(line);
    if (kv) {
      const [, key, value] = kv;
      const id = `${section}.${key}`;
      if (lines.has(id))
        warnings.push(`${file}:${i + 1}: ${key} is set twice${section ? ` in [${section}]` : ""}; the last one wins`);
      lines.set(id, i + 1);
      const quoted = /^(["']).*\1$/.test(value);
      if (quoted) return raw;
      if (WHOLE_VALUE_KEYS.test(key) && /[;#]/.test(value)) {
        errors.push(
          `${file}:${i + 1}: ${key}${section ? ` in [${section}]` : ""} contains ';' or '#', which INI would treat as the start of a comment`,
        );
        hints.add(`Put the whole value in double quotes: ${key}="...".`);
        lines.delete(id);
        return "";
      }
      // A comment starts at ';' or '#' after white space ("0 3 * * *   # daily"); elsewhere the
      // character is part of the value (a repository at /srv/repo#2 is not cut to /srv/repo).
      const comment = value.search(/\s[;#]/);
      const kept = (comment < 0 ? value : value.slice(0, comment)).trimEnd();
      return `${key}=${kept.replace(/[;#]/g, "\\$&")}`;
    } else if (line && !/^[;#]/.test(line)) {
      // A mistyped `RESTIC_PASSWORD: x` must not print the password it holds.
      const shown =
        isSecretName(line) || redact(line) !== line
          ? "(not shown: it may hold a secret)"
          : JSON.stringify(line.slice(0, 80));
      errors.push(`${file}:${i + 1}: cannot read this line: ${shown}`);
      hints.add("Lines are [section] headers, NAME=value settings, or comments starting with # or ;.");
      return "";
    }
    return raw;
  });
  const parsed = ini.parse(escaped.join("\n")) as Record<string, unknown>;
  const flat: Record<string, string> = {};
  const sections: Record<string, Record<string, string>> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (v !== null && typeof v === "object") {
      sections[k.replace(/\\\./g, ".")] = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([kk, vv]) => [kk, String(vv)]),
      );
    } else flat[k] = String(v);
  }
  return { flat, sections, lines, warnings, errors, hints: [...hints] };
}
