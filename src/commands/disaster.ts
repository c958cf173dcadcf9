import { eventSink, openContext, type CommandEnv } from "../app";
import { UsageError } from "../errors";
import { format, table } from "../output";
import { disasterRestore, type DisasterReport } from "../services/disaster/disaster";
import { recoverInterrupted } from "../services/run/preflight";
import { confirmDestructive } from "./guard";
import { withRepoLock } from "./locked";
import { retryBase, stallTimeout } from "../services/sync/transfer-timing";

interface Options {
  stack?: string;
  volume?: string;
  file?: string;
  target?: string;
  dryRun?: boolean;
  dump?: string;
  host?: string;
  overwrite?: boolean;
  yes?: boolean;
  confirmPasswordFile?: string;
  wait?: string;
}

/** `restore --disaster`: bare-metal recovery from the cloud copy (headless). */
export async function runDisaster(env: CommandEnv, path: string | undefined, o: Options): Promise<number> {
  if (path || o.stack || o.volume || o.file || o.target || o.dryRun || o.dump) {
    throw new UsageError(
      "--disaster recovers the whole host: it takes no PATH, --stack, --volume, --file, --target, --dump or --dry-run",
      "The repository goes to RESTIC_REPOSITORY; pick the old host's snapshots with --host NAME.",
    );
  }
  const ctx = openContext(env);
  await confirmDestructive(
    env,
    ctx.config,
    ctx.log,
    `recover the whole Docker host${o.host ? ` ${o.host}` : ""} from ${ctx.config.cloud.remote ? `${ctx.config.cloud.remote}:${ctx.config.cloud.path}` : "the repository"} onto this machine${o.overwrite ? " (overwriting what exists)" : ""}`,
    o,
  );
  return withRepoLock(ctx, env, o.wait, async () => {
    const emit = eventSink(env, ctx);
    // Not preflight: with the embedded default it would create an empty repository where the cloud copy goes.
    await recoverInterrupted(ctx, emit);
    const settle = Number(process.env.BACKUP_TUI_SETTLE_TIMEOUT_MS) || undefined;
    const r = await disasterRestore(
      ctx,
      {
        host: o.host,
        overwrite: o.overwrite,
        noPull: !ctx.config.cloud.remote,
        retryBaseMs: retryBase(),
        stallTimeoutMs: stallTimeout(),
        settleTimeoutMs: settle,
        signal: env.signal,
      },
      emit,
    );
    env.printer.result({ type: "disaster", ...r }, () => render(r));
    return r.exitCode;
  });
}

function render(r: DisasterReport): string {
  const lines = [
    `recovered ${r.host} from doomsday snapshot ${r.snapshot.slice(0, 8)} (${format.when(r.snapshotTime)}) in ${format.ms(r.durationMs)}${r.resumed ? " (continued an interrupted recovery)" : ""}`,
  ];
  lines.push(
    `created ${r.created.networks.length} network(s), ${r.created.volumes.length} volume(s)${r.imagesLoaded.length ? `; loaded images ${r.imagesLoaded.join(", ")}` : ""}`,
  );
  lines.push(
    table(
      ["STACK", "STATE", "CONTAINERS", "DUMPS LOADED"],
      r.stacks.map((s) => [
        s.stack,
        s.wasRunning ? s.state : "was stopped: not started",
        s.containers.map((c) => `${c.name} ${c.status}${c.health ? `/${c.health}` : ""}`).join(", ") || "-",
        s.dumps.join(", ") || "-",
      ]),
    ),
  );
  for (const s of r.stacks) if (s.error) lines.push(`${s.stack}: ${s.error}`);
  for (const [what, p] of Object.entries(r.files))
    lines.push(`${what} from the old host is at ${p}: review it and put it in place by hand`);
  for (const c of r.manualContainers)
    lines.push(`recreate by hand: ${c.name} (${c.image}), not a Compose container; its volumes are restored`);
  return lines.join("\n");
}
