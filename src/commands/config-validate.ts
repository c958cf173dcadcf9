import { btui } from "../command-hint";
import { readdirSync } from "node:fs";
import { readConfig, type CommandEnv } from "../app";
import type { Config } from "../config/types";
import { DockerClient } from "../docker/client";
import { discoverStacks, scanStacksDir } from "../docker/discovery";
import { ConfigError } from "../errors";
import { scheduleFindings, stackSectionFindings } from "../services/doctor/config-check";

/** Loads the config (78 on a bad value), then the rules no single key shows: schedules that cannot succeed, sections naming no stack. */
export async function run(env: CommandEnv): Promise<number> {
  const config = readConfig(env.globals);
  const known = await knownStacks(config);
  const findings = [...scheduleFindings(config), ...stackSectionFindings(config, known.names, known.scope)];
  const warnings = [...config.warnings, ...findings.filter((f) => f.level === "warning").map((f) => f.message)];
  for (const w of warnings) env.printer.warn(w);
  const errors = findings.filter((f) => f.level === "error").map((f) => f.message);
  const where = config.source.file ?? "embedded default (no config file found)";
  if (errors.length) {
    throw new ConfigError(
      errors.length === 1 ? `${where}: ${errors[0]}` : `${where}: ${errors.length} problems:\n  ${errors.join("\n  ")}`,
      `Fix the keys named above; \`${btui("config example")}\` prints every key with its description.`,
    );
  }
  env.printer.result(
    { type: "config-valid", file: config.source.file, format: config.source.format, warnings },
    () => `config OK: ${where} (${config.source.format})`,
  );
  return 0;
}

/** Stack names found here: Docker and the stacks dir, or the stacks dir alone when Docker does not answer; nothing when neither can be read. */
async function knownStacks(config: Config): Promise<{ names?: string[]; scope?: string }> {
  let dirs: string[] | undefined;
  try {
    // Only a stacks dir that can be read says which stacks exist (a missing one lists nothing).
    if (config.docker.stacksDir) readdirSync(config.docker.stacksDir);
    dirs = config.docker.stacksDir ? scanStacksDir(config.docker.stacksDir).map((d) => d.name) : undefined;
  } catch {
    dirs = undefined;
  }
  try {
    const docker = new DockerClient({ timeout: 3000 });
    const stacks = await Promise.race([
      discoverStacks(docker, config.docker.stacksDir),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 3000).unref()),
    ]);
    return {
      names: stacks.flatMap((s) => [s.name, s.project]),
      scope: "in the stacks dir or among Docker's Compose projects",
    };
  } catch {
    return dirs
      ? { names: dirs, scope: `in ${config.docker.stacksDir} (Docker did not answer: running stacks were not checked)` }
      : {};
  }
}
