import type { DumpDeclaration } from "./types";

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** `db:postgres:database=app, cache:sqlite:path=/data/c.db` → declarations; a bad item is an error naming it. */
export function dumpDeclarations(value: string | undefined, where: string, errors: string[]): DumpDeclaration[] {
  const out: DumpDeclaration[] = [];
  for (const item of list(value)) {
    const [service, engine, ...opts] = item.split(":").map((x) => x.trim());
    const bad = (why: string) =>
      errors.push(
        `${where}: ${JSON.stringify(item)} ${why} (the form is SERVICE:ENGINE[:user=U][:database=D][:path=/file.db])`,
      );
    if (!service || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(service)) {
      bad("needs a service name (letters, digits, '.', '_', '-')");
      continue;
    }
    if (engine !== "postgres" && engine !== "mariadb" && engine !== "sqlite") {
      bad("needs an engine: postgres, mariadb or sqlite");
      continue;
    }
    const d: DumpDeclaration = { service, engine };
    let ok = true;
    for (const opt of opts) {
      const m = /^(user|database|path)=(.+)$/.exec(opt);
      if (!m) {
        bad(`has an unknown option ${JSON.stringify(opt)}`);
        ok = false;
        break;
      }
      d[m[1] as "user" | "database" | "path"] = m[2];
    }
    if (!ok) continue;
    if (engine === "sqlite" && !d.path?.startsWith("/")) {
      bad("needs path=/absolute/path/inside/the/container.db for sqlite");
      continue;
    }
    if (out.some((x) => x.service === service)) {
      bad("declares the same service twice");
      continue;
    }
    out.push(d);
  }
  return out;
}
