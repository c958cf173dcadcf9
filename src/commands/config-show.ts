import { readConfig, type CommandEnv } from "../app";
import type { EffectiveKeys } from "../config/types";

/** The effective configuration by its INI keys, per section (defaults and environment overrides said); --json: the whole typed config. */
export async function run(env: CommandEnv): Promise<number> {
  const config = readConfig(env.globals);
  // Secret values are Secret objects: JSON.stringify prints them as ***.
  const shown = JSON.parse(JSON.stringify(config));
  const where = config.source.file
    ? `${config.source.file} (${config.source.format})`
    : "embedded default (no config file found)";
  env.printer.result(shown, () => renderIni(where, config.keys ?? {}));
  return 0;
}

export function renderIni(where: string, keys: EffectiveKeys): string {
  const lines = [`; effective configuration from ${where}; secrets masked`];
  for (const [section, entries] of Object.entries(keys)) {
    const rows = Object.entries(entries);
    if (!rows.length) continue;
    lines.push("", `[${section}]`);
    const width = Math.min(48, Math.max(...rows.map(([k, e]) => k.length + e.value.length + 1)));
    for (const [key, e] of rows) {
      const entry = `${key}=${e.value}`;
      const note =
        e.origin === "default" ? "default" : e.origin.startsWith("environment ") ? `from the ${e.origin}` : undefined;
      lines.push(note ? `${entry.padEnd(width)}  ; ${note}` : entry);
    }
  }
  return lines.join("\n");
}
