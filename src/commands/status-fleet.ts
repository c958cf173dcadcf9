import type { CommandEnv } from "../app";
import { UsageError } from "../errors";
import { writeTextfile } from "../notify/textfile";
import { fleetLines, fleetMetrics } from "../reports/fleet";
import type { ServiceContext } from "../services/run/context";
import { fleetExitCode, fleetStatus } from "../usecases/fleet";

/** `status --fleet`: every host publishing into this repository (src/usecases/fleet.ts); exit 1 when one needs a look. */
export async function runFleet(
  env: CommandEnv,
  ctx: ServiceContext,
  o: { textfile?: string; now?: string },
): Promise<number> {
  const now = o.now === undefined ? undefined : new Date(o.now);
  if (now && Number.isNaN(now.getTime()))
    throw new UsageError(
      `--now ${JSON.stringify(o.now)} is not a time`,
      "Give an ISO time such as 2026-12-05T10:00:00Z.",
    );
  const report = await fleetStatus(ctx, { now, signal: env.signal });
  if (o.textfile) writeTextfile(o.textfile, fleetMetrics(report));
  env.printer.result({ type: "fleet", ...report }, () => fleetLines(report).join("\n"));
  return fleetExitCode(report);
}
