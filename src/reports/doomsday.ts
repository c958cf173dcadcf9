import { format } from "../output";
import type { BackupReport } from "../services/backup/backup";
import type { DoomsdayReport } from "../services/doomsday/doomsday";

/** `backup --doomsday`: each stack's result, then the doomsday snapshot and the recovery kit. */
export function doomsdayLines(backup: BackupReport, d: DoomsdayReport): string[] {
  const lines = ["stacks:"];
  for (const o of backup.outcomes)
    lines.push(
      `  ${o.stack}: ${o.status}${o.snapshotId ? ` ${o.snapshotId.slice(0, 8)}` : ""}${o.error ? ` (${o.error.split("\n")[0]})` : ""}`,
    );
  lines.push(
    `doomsday snapshot ${d.snapshotId?.slice(0, 8) ?? "-"} (+${format.bytes(d.bytesAdded ?? 0)}): ${d.containers} container(s), ${d.networks} network(s), ${d.volumes.length} volume(s) outside the stack snapshots${d.volumes.length ? ` (${d.volumes.join(", ")})` : ""}`,
  );
  for (const i of d.images) lines.push(`  saved image ${i.ref}: ${format.bytes(i.bytes)}`);
  if (d.localImages.length && !d.images.length)
    lines.push(`  images built here, not saved (SAVE_IMAGES=local keeps them): ${d.localImages.join(", ")}`);
  if (d.portainer)
    lines.push(
      `  Portainer: ${"bytes" in d.portainer ? format.bytes(d.portainer.bytes) : `FAILED: ${d.portainer.error}`}`,
    );
  lines.push(`recovery kit: ${d.kit.dir} (${d.kit.files.join(", ")}); \`sync\` puts it beside the cloud copy`);
  return lines;
}
