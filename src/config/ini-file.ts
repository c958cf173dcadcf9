import { ConfigError } from "../errors";
import { isSecretName, redact } from "../exec/redact";
import { unescapeIni } from "./ini-value";

export interface IniValue {
  value: string;
  /** 1-based line number. */
  line: number;
}
export interface IniSection {
  /** The line of its first header (a section given twice is merged). */
  line: number;
  keys: Map<string, IniValue>;
}
export interface IniDoc {
  /** Top-level keys (the legacy flat format). */
  flat: Map<string, IniValue>;
  sections: Map<string, IniSection>;
  warnings: string[];
  /** Lines that cannot be read: reported with the other problems, not one at a time. */
  errors: string[];
  /** How to fix those (one per kind of problem). */
  hints: string[];
}

/** Keys whose values are taken whole: an unquoted ; or # in them is an error, not a comment. */
const WHOLE_VALUE_KEYS = /PASSWORD|TOKEN|HOOK|COMMAND|URL|EXCLUDE|HASH/;

/**
 * Reads INI text in one pass, keeping each key's line for messages: dotted section names stay
 * whole, a duplicate key is a warning (the last wins), and a secret or command is never silently
 * cut at ; or #. Values are unquoted and unescaped as the `ini` package did (ini-value.ts).
 */
export function parseIni(bytes: Buffer, file: string): IniDoc {
  const doc: IniDoc = { flat: new Map(), sections: new Map(), warnings: [], errors: [], hints: [] };
  const hints = new Set<string>();
  /** undefined before the first header: the legacy flat keys. */
  let keys: Map<string, IniValue> | undefined = doc.flat;
  let section: string | undefined;
  decode(bytes, file)
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      const at = `${file}:${i + 1}`;
      const header = /^\[(.*)\]$/.exec(line);
      if (header) {
        section = sectionName(header[1].trim(), at);
        keys = section === "__proto__" ? undefined : openSection(doc, section, i + 1);
        return;
      }
      const kv = /^([^=;#[]+?)\s*=\s*(.*)$/.exec(line);
      if (kv) {
        const key = unescapeIni(kv[1]);
        const written = kv[2];
        const where = section === undefined ? "" : ` in [${section}]`;
        if (keys?.has(key)) doc.warnings.push(`${at}: ${key} is set twice${where}; the last one wins`);
        const value = keyValue(key, written);
        if (value === undefined) {
          doc.errors.push(`${at}: ${key}${where} contains ';' or '#', which INI would treat as the start of a comment`);
          hints.add(`Put the whole value in double quotes: ${key}="...".`);
          keys?.delete(key);
        } else if (key !== "__proto__") keys?.set(key, { value, line: i + 1 });
      } else if (line && !/^[;#]/.test(line)) {
        doc.errors.push(`${at}: cannot read this line: ${shownLine(line)}`);
        hints.add("Lines are [section] headers, NAME=value settings, or comments starting with # or ;.");
      }
    });
  doc.hints = [...hints];
  return doc;
}

function decode(bytes: Buffer, file: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`${file}: not valid UTF-8 text`, "Save the config file as UTF-8.");
  }
  if (text.includes("\0")) throw new ConfigError(`${file}: contains NUL bytes; it is not a text config file`);
  return text;
}

/** A header's name; one with ; or # is refused (INI would cut "[stack:a;b]" to "stack:a", another stack). */
function sectionName(written: string, at: string): string {
  if (/[;#]/.test(written))
    throw new ConfigError(
      `${at}: [${written}]: a section name cannot contain ';' or '#'`,
      "Rename the section (stack names are letters, digits, '.', '_' and '-').",
    );
  return unescapeIni(written.replace(/\./g, "\\.")).replace(/\\\./g, ".");
}

function openSection(doc: IniDoc, name: string, line: number): Map<string, IniValue> {
  let s = doc.sections.get(name);
  if (!s) doc.sections.set(name, (s = { line, keys: new Map() }));
  return s.keys;
}

/** The value of KEY=written; undefined when an unquoted ; or # would cut a secret or a command. */
function keyValue(key: string, written: string): string | undefined {
  if (/^(["']).*\1$/.test(written)) return unescapeIni(written);
  if (WHOLE_VALUE_KEYS.test(key) && /[;#]/.test(written)) return undefined;
  // A comment starts at ';' or '#' after white space ("0 3 * * *   # daily"); elsewhere the
  // character is part of the value (a repository at /srv/repo#2 is not cut to /srv/repo).
  const comment = written.search(/\s[;#]/);
  const kept = (comment < 0 ? written : written.slice(0, comment)).trimEnd();
  return unescapeIni(kept.replace(/[;#]/g, "\\$&"));
}

/** A mistyped `RESTIC_PASSWORD: x` must not print the password it holds. */
function shownLine(line: string): string {
  return isSecretName(line) || redact(line) !== line
    ? "(not shown: it may hold a secret)"
    : JSON.stringify(line.slice(0, 80));
}
