import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeTextAtomic } from "./atomic-file";

const FILE = "host-id";
const SHAPE = /^[0-9a-f-]{36}$/;

/**
 * This installation's own id, kept in STATE_DIR/host-id: a host's published status carries it, so
 * two machines publishing under one HOSTNAME can be told apart. `create`: make one when there is
 * none (a run does; the doctor only reads). A copied state directory carries its id along: that
 * is the same host moved, not a second one.
 */
export function hostId(stateDir: string, o: { create: boolean }): string | undefined {
  const file = join(stateDir, FILE);
  try {
    const id = readFileSync(file, "utf8").trim();
    if (SHAPE.test(id)) return id;
  } catch {
    // none yet
  }
  if (!o.create) return undefined;
  const id = randomUUID();
  writeTextAtomic(file, `${id}\n`, 0o644);
  return id;
}
