// Placeholder: the scheduling issue replaces this module.
import type { CommandEnv } from "../app";
import { AppError, ExitCode } from "../errors";

export async function run(_env: CommandEnv): Promise<number> {
  throw new AppError("scheduling is not available yet", ExitCode.usage, "Use cron or a systemd timer calling `backup-tui backup --scheduled` meanwhile.");
}
