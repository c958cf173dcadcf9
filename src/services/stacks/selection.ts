import { checkExternalPath, type DirlistFile } from "../../docker/dirlist";
import { discoverStacks, externalStack, type Stack } from "../../docker/discovery";
import { UsageError } from "../../errors";
import type { ServiceContext } from "../run/context";
import { unknownStack } from "./known";

export interface Selection {
  selected: Stack[];
  /** Every stack found, external entries included. */
  known: Stack[];
  enabled: Set<string>;
  /** Stacks found for the first time: added to the dirlist disabled. */
  added: string[];
  warnings: string[];
}

const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Discovers stacks and picks the ones to act on: explicit names, --all, or those the dirlist
 * enables. New stacks are written to the dirlist disabled, so nothing is stopped unasked.
 */
export async function selectStacks(
  ctx: ServiceContext,
  dirlist: DirlistFile,
  req: { names?: string[]; all?: boolean; recordNew?: boolean },
): Promise<Selection> {
  const found = await discoverStacks(ctx.docker, ctx.config.docker.stacksDir);
  const warnings: string[] = [];
  let added: string[] = [];
  if (req.recordNew !== false) {
    added = await dirlist.edit((doc) => {
      const fresh: string[] = [];
      for (const s of found) {
        if (!VALID_NAME.test(s.name)) continue;
        if (!doc.get(s.name)) {
          doc.set({ kind: "stack", name: s.name, enabled: false });
          fresh.push(s.name);
        }
      }
      return fresh;
    });
  }
  for (const s of found)
    if (!VALID_NAME.test(s.name))
      warnings.push(
        `stack ${JSON.stringify(s.name)} has a name the dirlist cannot hold; name it explicitly to back it up`,
      );
  const { entries, warnings: w } = dirlist.read();
  warnings.push(...w);
  const externals = entries.filter((e) => e.kind === "external").map((e) => externalStack(e.name));
  const known = [...found, ...externals];
  const enabled = new Set(
    entries.filter((e) => e.enabled).map((e) => (e.kind === "external" ? `EXT:${e.name}` : e.name)),
  );

  let selected: Stack[];
  if (req.names?.length) {
    selected = req.names.map((n) => {
      const s =
        known.find((k) => k.name === n) ?? (n.startsWith("EXT:/") ? externalStack(externalArgument(n)) : undefined);
      if (!s)
        throw unknownStack(
          n,
          found.map((k) => k.name),
        );
      return s;
    });
  } else if (req.all) {
    selected = known;
  } else {
    selected = known.filter((s) => enabled.has(s.name));
    for (const name of enabled) {
      if (!known.some((s) => s.name === name))
        warnings.push(`${name} is enabled in ${dirlist.path} but was not found (no directory, no containers)`);
    }
  }
  return { selected, known, enabled, added, warnings };
}

/** An `EXT:/path` named on the command line passes the same checks as one in the dirlist. */
function externalArgument(n: string): string {
  const p = checkExternalPath(n.slice(4));
  if (typeof p !== "string")
    throw new UsageError(
      `${JSON.stringify(n)}: ${p.error}`,
      "Name the directory by its absolute path, such as EXT:/srv/data.",
    );
  return p;
}
