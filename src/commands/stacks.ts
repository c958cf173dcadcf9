import { openContext, type CommandEnv } from "../app";
import { DirlistFile } from "../docker/dirlist";
import { format, table } from "../output";
import { diskUsage } from "../services/backup/plan";
import { selectStacks } from "../services/stacks/selection";

export async function run(env: CommandEnv, o: { sizes?: boolean }): Promise<number> {
  const ctx = openContext(env);
  const sel = await selectStacks(ctx, new DirlistFile(ctx.config.dirlistFile), { recordNew: false });
  for (const w of sel.warnings) env.printer.warn(w);
  const last = ctx.store.lastBackups();
  const rows = await Promise.all(
    sel.known.map(async (s) => {
      const volumes = await Promise.all(
        s.volumes.map(async (v) => ({
          name: v.name,
          mountpoint: v.mountpoint,
          bytes: o.sizes ? await diskUsage(ctx, [v.mountpoint]) : undefined,
        })),
      );
      const l = last.get(s.name);
      return {
        name: s.name,
        dir: s.dir,
        source: s.source,
        state: s.state,
        enabled: sel.enabled.has(s.name),
        containers: s.containers.map((c) => ({ name: c.name, status: c.status })),
        volumes,
        lastBackup: l ? { at: l.last.startedAt, status: l.last.status, snapshot: l.last.snapshotId } : undefined,
        lastGoodBackup: l?.lastGood?.startedAt,
      };
    }),
  );
  env.printer.result({ type: "stacks", stacks: rows }, () =>
    rows.length
      ? table(
          ["STACK", "ENABLED", "STATE", "CONTAINERS", "VOLUMES", "LAST BACKUP", "DIR"],
          rows.map((r) => [
            r.name,
            r.enabled ? "yes" : "no",
            r.state,
            `${r.containers.filter((c) => c.status === "running").length}/${r.containers.length}`,
            r.volumes
              .map((v) => (v.bytes === undefined ? v.name : `${v.name} (${format.bytes(v.bytes)})`))
              .join(", ") || "-",
            r.lastBackup ? `${format.when(r.lastBackup.at)} ${r.lastBackup.status}` : "never",
            r.dir ?? "-",
          ]),
        )
      : "No stacks found. Set DOCKER_STACKS_DIR, or start a Compose project.",
  );
  return 0;
}
