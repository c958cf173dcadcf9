import { hostname as osHostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { btui } from "../command-hint";
import { ConfigError } from "../errors";
import { effectiveKeys } from "./effective-keys";
import { applyEnvOverrides } from "./env-overrides";
import { SECTIONS } from "./keys";
import { type LocateInput, defaultStateDir, locateConfig, locateDirlist } from "./locate";
import { byLine } from "./messages";
import { parseSection } from "./parse-section";
import { passwordSource } from "./password-source";
import { checkPermissions } from "./permissions";
import type { RawSections } from "./raw";
import { readConfigFile } from "./read-file";
import { checkCron, checkNotifyOn, requireRepository, unknownKeys } from "./rules";
import { cloudSettings } from "./schema/cloud-sync";
import { dockerSettings } from "./schema/docker";
import { doomsdaySettings, securitySettings } from "./schema/doomsday";
import { localBackupSettings } from "./schema/local-backup";
import { notifySettings } from "./schema/notify";
import { scheduleSettings } from "./schema/schedule";
import { readStacks } from "./stacks";
import { readTargets, resolveRepository } from "./targets";
import type { Config } from "./types";

export { envName } from "./env-overrides";
export type { RawSections, RawValue } from "./raw";

export interface LoadInput extends LocateInput {
  uid: number;
}

/** What loading found wrong: errors fail it (all reported at once), warnings ride along in the Config. */
interface Findings {
  warnings: string[];
  errors: string[];
  hints: string[];
}

/**
 * Loads, validates and normalises the configuration: locate and read the INI file (one parse, each
 * key with its FILE:LINE) → environment overrides → the schema (schema/*.ts) → rule checks.
 * Throws ConfigError (exit 78) naming file, key and expectation; UsageError (exit 2) for a refused override.
 */
export function loadConfig(input: LoadInput): Config {
  const file = locateConfig(input);
  const stateDir = defaultStateDir(input.env, input.uid, input.home);
  const read = file ? readConfigFile(file) : undefined;
  const raw: RawSections = read?.raw ?? {};
  const found: Findings = { warnings: read?.warnings ?? [], errors: read?.errors ?? [], hints: read?.hints ?? [] };
  if (file) checkPermissions(file, raw);
  applyEnvOverrides(raw, input.env, file, found.warnings);
  unknownKeys(raw, found.warnings);
  const where: Where = {
    input,
    file,
    format: read?.format ?? "embedded",
    stateDir,
    ignored: read?.ignored ?? new Map(),
  };
  const config = typedConfig(raw, where, found);
  found.warnings.sort(byLine);
  config.keys = effectiveKeys(raw);
  if (found.errors.length) throw configError(found);
  return config;
}

interface Where {
  input: LoadInput;
  file?: string;
  format: Config["source"]["format"];
  stateDir: string;
  /** Keys of ignored (unknown) sections: key → where, for the missing-repository message. */
  ignored: Map<string, string>;
}

/** Every section parsed by the schema and mapped to its part of Config; paths resolved beside the config file. */
function typedConfig(raw: RawSections, { input, file, format, stateDir, ignored }: Where, f: Findings): Config {
  const baseDir = file ? dirname(file) : input.cwd;
  const at = (p: string | undefined) => (p ? resolve(baseDir, p) : undefined);
  const local = parseSection(SECTIONS.local_backup, "local_backup", raw, f.errors);
  const { hostname, dirlistFile, restic, ...localParts } = localBackupSettings(local);
  if (file && !restic.repository) requireRepository(file, ignored, f.errors);
  const password = passwordSource(raw, local, baseDir, input.env, !file, stateDir, f.warnings, f.errors);
  const docker = dockerSettings(parseSection(SECTIONS.docker, "docker", raw, f.errors));
  const cloudValues = parseSection(SECTIONS.cloud_sync, "cloud_sync", raw, f.errors);
  const cloud = cloudSettings(cloudValues);
  const targets = readTargets(raw, cloudValues, baseDir, f.errors, f.warnings);
  const scheduleValues = parseSection(SECTIONS.schedule, "schedule", raw, f.errors);
  checkCron(SECTIONS.schedule, scheduleValues, "schedule", raw, f.errors);
  const notify = notifySettings(parseSection(SECTIONS.notify, "notify", raw, f.errors));
  checkNotifyOn(notify.on, raw, f.errors);
  const host = hostname ?? osHostname();
  const generated = generatedHostname(host);
  if (generated)
    f.warnings.push(
      `host name ${JSON.stringify(host)} looks ${generated}: snapshots and retention go by host name, so a name that changes loses them; set [local_backup] HOSTNAME to a stable name`,
    );
  return {
    source: { file, format },
    stateDir,
    dirlistFile: locateDirlist(file, dirlistFile, stateDir),
    hostname: host,
    docker: { ...docker, stacksDir: at(docker.stacksDir) },
    restic: {
      ...restic,
      repository: restic.repository ? resolveRepository(restic.repository, baseDir) : join(stateDir, "repository"),
      password,
      autoInit: !file && !restic.repository,
    },
    ...localParts,
    cloud: { ...cloud, configFile: at(cloud.configFile) },
    targets,
    schedule: scheduleSettings(scheduleValues),
    notify: { ...notify, prometheusTextfile: at(notify.prometheusTextfile) },
    security: securitySettings(parseSection(SECTIONS.security, "security", raw, f.errors)),
    doomsday: doomsdaySettings(parseSection(SECTIONS.doomsday, "doomsday", raw, f.errors)),
    stacks: readStacks(raw, localParts.retention.keep, file, f.errors),
    warnings: f.warnings,
  };
}

/**
 * Why a host name looks made up by a machine rather than chosen (a container's id, a cloud
 * instance's default), or undefined. Retention, restores and the fleet view go by host name.
 */
export function generatedHostname(name: string): string | undefined {
  if (/^[0-9a-f]{12}$|^[0-9a-f]{64}$/.test(name)) return "like a container id";
  if (/^(localhost|localhost\.localdomain|\(none\))$/i.test(name)) return "like a default, shared by many machines";
  if (/^(ip|i)-[0-9a-f-]{6,}$/i.test(name)) return "like a cloud instance's generated name";
  return undefined;
}

/** Every problem at once, in the file's line order; the warnings too (a misspelt section often explains an error). */
function configError({ errors, warnings, hints }: Findings): ConfigError {
  errors.sort(byLine);
  const also = warnings.length ? `\nand ${warnings.length} warning(s):\n  ${warnings.join("\n  ")}` : "";
  return new ConfigError(
    errors.length === 1 && !also
      ? errors[0]
      : `${errors.length} problem${errors.length > 1 ? "s" : ""} in the configuration:\n  ${errors.join("\n  ")}${also}`,
    [
      ...new Set(hints),
      `Fix the values named above; \`${btui("config validate")}\` checks again, \`${btui("config example")}\` prints every key with its description.`,
    ].join(" "),
  );
}
