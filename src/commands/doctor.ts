// TEMPORARY placeholder (to be replaced by the real command)
import type { CommandEnv } from "../app";
export async function run(_env: CommandEnv): Promise<number> {
  return 0;
}
