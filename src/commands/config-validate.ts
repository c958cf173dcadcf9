import { readConfig, type CommandEnv } from "../app";

export async function run(env: CommandEnv): Promise<number> {
  const config = readConfig(env.globals);
  for (const w of config.warnings) env.printer.warn(w);
  const where = config.source.file ?? "embedded default (no config file found)";
  env.printer.result({ type: "config-valid", file: config.source.file, format: config.source.format, warnings: config.warnings }, () => `config OK: ${where} (${config.source.format})`);
  return 0;
}
