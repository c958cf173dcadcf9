import { z } from "zod";
import type { KeyDefs, SectionValues } from "./schema/key-def";
import { expectation } from "./messages";
import { type RawSections, unquoted } from "./raw";

const SCHEMAS = new WeakMap<KeyDefs, z.ZodObject>();

/** A section's keys as one zod object: each key's value type with its default (parsed like a written value), or optional. */
export function sectionSchema(defs: KeyDefs): z.ZodObject {
  let schema = SCHEMAS.get(defs);
  if (!schema) {
    const shape = Object.fromEntries(
      Object.entries(defs).map(([key, d]) => [
        key,
        d.default === undefined ? d.schema.optional() : d.schema.prefault(d.default),
      ]),
    );
    schema = z.object(shape);
    SCHEMAS.set(defs, schema);
  }
  return schema;
}

/**
 * The typed values of one section: its written keys (file or environment) parsed by the schema,
 * defaults for the others. A wrong value is an error naming its origin (FILE:LINE), section and
 * key, with what the value must be; it is then left out (its default, if any, stands in).
 */
export function parseSection<D extends KeyDefs>(
  defs: D,
  section: string,
  raw: RawSections,
  errors: string[],
): SectionValues<D> {
  const written = Object.entries(raw[section] ?? {}).filter(([key]) => Object.hasOwn(defs, key));
  const input = Object.fromEntries(written.map(([key, rv]) => [key, unquoted(rv)]));
  const schema = sectionSchema(defs);
  const r = schema.safeParse(input);
  if (r.success) return r.data as SectionValues<D>;
  const bad = new Map<string, z.core.$ZodIssue[]>();
  for (const issue of r.error.issues) {
    const key = String(issue.path[0]);
    bad.set(key, [...(bad.get(key) ?? []), issue]);
  }
  for (const [key, issues] of bad) {
    const rv = raw[section][key];
    const shown = defs[key].secret ? "" : ` (got ${JSON.stringify(unquoted(rv).slice(0, 60))})`;
    errors.push(`${rv.origin}: [${section}] ${key}: ${expectation(defs[key], issues)}${shown}`);
    delete input[key];
  }
  return schema.parse(input) as SectionValues<D>;
}
