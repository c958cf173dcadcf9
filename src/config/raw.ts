/** A key's value as written (in the file or the environment) and where: "FILE:LINE" or "environment NAME". */
export interface RawValue {
  value: string;
  origin: string;
}
/** Section → INI key → its written value: what the loader reads before the schema parses it. */
export type RawSections = Record<string, Record<string, RawValue>>;

/** An empty value means "not set" (seed templates leave unused keys blank). */
export function put(raw: RawSections, section: string, key: string, value: RawValue): void {
  if (value.value.trim() === "" || value.value.trim() === '""') return;
  (raw[section] ??= {})[key] = value;
}

/** The value without the quotes around it (an environment value may be quoted too). */
export function unquoted(rv: RawValue): string {
  return rv.value.replace(/^(["'])(.*)\1$/, "$2");
}
