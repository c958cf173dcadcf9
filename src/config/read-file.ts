import { readFileSync, statSync } from "node:fs";
import { ConfigError } from "../errors";
import { parseIni } from "./ini-file";
import { SECTIONS, SECTION_NAMES, sectionOfKey } from "./keys";
import { suggest, suggestSection } from "./messages";
import { put, type RawSections } from "./raw";

export interface FileSections {
  raw: RawSections;
  format: "sectioned" | "legacy";
  /** Keys of sections backup-tui does not read (a misspelt [local-backup]): key → where. */
  ignored: Map<string, string>;
  warnings: string[];
  errors: string[];
  hints: string[];
}

/** Reads and parses the config file: each known key with its value and FILE:LINE; unknown ones are warnings. */
export function readConfigFile(file: string): FileSections {
  const doc = parseIni(readBytes(file), file);
  const out: FileSections = {
    raw: {},
    format: doc.sections.size > 0 ? "sectioned" : "legacy",
    ignored: new Map(),
    warnings: doc.warnings,
    errors: doc.errors,
    hints: doc.hints,
  };
  const allKeys = SECTION_NAMES.flatMap((s) => Object.keys(SECTIONS[s]));
  // Legacy flat files: each key is placed in its section by name.
  for (const [key, { value, line }] of doc.flat) {
    const section = sectionOfKey(key);
    if (section) put(out.raw, section, key, { value, origin: `${file}:${line}` });
    else out.warnings.push(`${file}:${line}: unknown key ${key} (ignored)${suggest(key, allKeys)}`);
  }
  for (const [section, { line, keys }] of doc.sections) {
    if (Object.hasOwn(SECTIONS, section) || section.startsWith("stack:") || section.startsWith("cloud_sync:")) {
      for (const [key, v] of keys) put(out.raw, section, key, { value: v.value, origin: `${file}:${v.line}` });
      continue;
    }
    out.warnings.push(
      `${file}:${line}: unknown section [${section}] (ignored, with its ${keys.size} key(s))${suggestSection(section)}`,
    );
    for (const [key, v] of keys) out.ignored.set(key, `${file}:${v.line} in [${section}]`);
  }
  return out;
}

/** A FIFO or /dev/zero would block or fill memory: only a regular file of sane size is read. */
function readBytes(file: string): Buffer {
  let bytes: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile())
      throw new ConfigError(`${file} is not a regular file`, "Point --config (or BACKUP_TUI_CONFIG) at an INI file.");
    if (st.size > 1024 * 1024) throw new ConfigError(`${file}: ${st.size} bytes is too large for a config file`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      "Check the file's permissions.",
    );
  }
  if (bytes.length > 1024 * 1024)
    throw new ConfigError(`${file}: ${bytes.length} bytes is too large for a config file`);
  return bytes;
}
