import { DirlistFile, entryKey } from "../../docker/dirlist";
import { discoverStacks } from "../../docker/discovery";
import { ConfigError, errorMessage } from "../../errors";
import type { ServiceContext } from "../run/context";
import { selectStacks, type Selection } from "../stacks/selection";

/** The stacks there are and what the dirlist enables, or why the dirlist cannot say. */
export interface SeenStacks {
  sel: Selection;
  /** "the dirlist cannot be read: FILE:2: ...": nothing counts as enabled until that line is fixed. */
  dirlistError?: string;
}

/**
 * The selection as the dashboard and the Stacks screen show it (nothing written to the dirlist),
 * or — when the dirlist has a line it cannot read — the stacks discovery finds with none enabled
 * and the dirlist's error, so the screens show what is there and what to fix.
 */
export async function readSelection(
  ctx: ServiceContext,
  file = new DirlistFile(ctx.config.dirlistFile),
): Promise<SeenStacks> {
  const problem = dirlistProblem(file);
  if (problem) {
    const known = await discoverStacks(ctx.docker, ctx.config.docker.stacksDir);
    return { sel: { selected: [], known, enabled: new Set(), added: [], warnings: [] }, dirlistError: problem };
  }
  return { sel: await selectStacks(ctx, file, { recordNew: false }) };
}

/**
 * What the state alone says, without asking Docker (`status` reads local state only): the enabled
 * keys and the dirlist's line warnings; no stack is "known". strict: an unreadable dirlist throws.
 */
export function readRecordedSelection(ctx: ServiceContext, strict: boolean): SeenStacks {
  const file = new DirlistFile(ctx.config.dirlistFile);
  const problem = strict ? undefined : dirlistProblem(file);
  const { entries, warnings } = problem ? { entries: [], warnings: [] } : file.read();
  const enabled = new Set(entries.filter((e) => e.enabled).map(entryKey));
  return { sel: { selected: [], known: [], enabled, added: [], warnings }, dirlistError: problem };
}

function dirlistProblem(file: DirlistFile): string | undefined {
  try {
    file.read();
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return `the dirlist cannot be read: ${errorMessage(err)}.${err.hint ? ` ${err.hint}` : ""}`;
  }
}
