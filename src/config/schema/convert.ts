import { Secret } from "../../exec/redact";

/** A secret key's value, wrapped so that it prints as ***. */
export function secret(value: string | undefined): Secret | undefined {
  return value === undefined ? undefined : new Secret(value);
}

/** A comma list: "a, b,,c" → ["a", "b", "c"]. */
export function list(s: string | undefined): string[] {
  return (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}
