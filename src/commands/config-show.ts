import { readConfig, type CommandEnv } from "../app";

export async function run(env: CommandEnv): Promise<number> {
  const config = readConfig(env.globals);
  // Secret values are Secret objects: JSON.stringify prints them as ***.
  const shown = JSON.parse(JSON.stringify(config));
  env.printer.result(shown, () => JSON.stringify(shown, null, 2));
  return 0;
}
