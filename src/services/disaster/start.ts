import { COMPOSE } from "../../docker/labels";
import { AppError, ExitCode, errorMessage } from "../../errors";
import type { ServiceContext } from "../run/context";
import { probeScript } from "../dumps/scripts";
import type { StackRecovery } from "./report";
import type { InventoryStack } from "../doomsday/inventory";

// The last part of a disaster restore: databases ready for their dumps, stacks settled.

/** Waits until the stack's database answers a query (a fresh container initialises first). */
export async function waitForDatabase(
  ctx: ServiceContext,
  s: InventoryStack,
  service: string,
  engine: "postgres" | "mariadb",
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (signal.aborted) throw new AppError("interrupted", ExitCode.failed);
    const c = (await ctx.docker.listContainers(`${COMPOSE.project}=${s.project}`)).find(
      (x) => x.labels[COMPOSE.service] === service && x.status === "running",
    );
    if (c) {
      const r = await ctx.dockerCli
        .execScript(c.id, probeScript(engine), [""], {
          timeoutMs: 20_000,
          okExitCodes: [0, 1, 2, 3, 126, 127],
          signal,
        })
        .catch((err) => ({ exitCode: 1, stderr: errorMessage(err) }));
      if (r.exitCode === 0) return;
      last = r.stderr.trim().split("\n").pop() ?? "";
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new AppError(
    `${service}'s ${engine} does not accept connections after ${Math.round(timeoutMs / 1000)} s${last ? ` (${last})` : ""}: its dump was not loaded`,
    ExitCode.serviceDown,
  );
}

/** Polls the started stacks until every container runs (and is healthy where it has a healthcheck), or time is up. */
export async function settle(
  ctx: ServiceContext,
  recs: StackRecovery[],
  byName: Map<string, InventoryStack>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = false;
    for (const rec of recs) {
      const s = byName.get(rec.stack)!;
      const cs = await ctx.docker.listContainers(`${COMPOSE.project}=${s.project}`);
      rec.containers = cs.map((c) => ({ name: c.name, status: c.status, health: c.health }));
      const running = cs.length > 0 && cs.every((c) => c.status === "running");
      const starting = cs.some((c) => c.health === "starting" || c.status === "restarting" || c.status === "created");
      rec.state = !cs.length
        ? "stopped"
        : running
          ? cs.some((c) => c.health === "unhealthy")
            ? "unhealthy"
            : "running"
          : "stopped";
      if (starting || rec.state !== "running") pending = true;
    }
    if (!pending || Date.now() > deadline || signal.aborted) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
