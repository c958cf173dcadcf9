import type { SyncTarget } from "../../config/targets";
import type { PasswordSource } from "../../config/types";
import { AppError, ExitCode, UsageError } from "../../errors";
import { targetWhere } from "../../config/targets";
import type { Config } from "../../config/types";

/** A target as a restic repository: rclone's backend over a mirror or append copy, or the restic target itself. */
export function targetRepository(t: SyncTarget): { repository: string; password?: PasswordSource } {
  return t.mode === "restic"
    ? { repository: t.repository ?? "", password: t.password }
    : { repository: `rclone:${t.remote}:${t.path}` };
}

/**
 * The target a command names (`--remote NAME`, `--from NAME`); `true` (the flag without a name)
 * is [cloud_sync]'s, or the only target there is.
 */
export function namedTarget(config: Config, name: string | true, flag: string): SyncTarget {
  const all = config.targets;
  if (!all.length)
    throw new AppError(
      "no sync target is configured",
      ExitCode.config,
      "Set RCLONE_REMOTE and RCLONE_PATH in [cloud_sync], or add a [cloud_sync:NAME] section.",
    );
  const list = () => `The targets are: ${all.map((t) => `${t.name} (${targetWhere(t)})`).join(", ")}.`;
  if (name === true) {
    const one = all.find((t) => t.name === "default") ?? (all.length === 1 ? all[0] : undefined);
    if (!one) throw new UsageError(`${flag} needs a target name: there are ${all.length}`, list());
    return one;
  }
  const one = all.find((t) => t.name === name);
  if (!one) throw new UsageError(`no sync target is named ${JSON.stringify(name)}`, list());
  return one;
}
