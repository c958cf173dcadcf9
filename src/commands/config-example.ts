import type { CommandEnv } from "../app";
import { renderExample } from "../config/example";
import { SECTIONS, STACK_KEYS, SYNC_TARGET_KEYS } from "../config/keys";

/** Prints the config reference built into the executable: the same text as config.example.ini. */
export async function run(env: CommandEnv): Promise<number> {
  env.printer.builtInText(renderExample(SECTIONS, STACK_KEYS, SYNC_TARGET_KEYS));
  return 0;
}
