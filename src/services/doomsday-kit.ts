import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isSea } from "node:sea";
import { join } from "node:path";
import type { Config } from "../config/types";
import { SECTIONS, STACK_KEYS } from "../config/keys";

// The recovery kit: what a person needs on a bare host to get everything back, beside the
// encrypted repository (in the doomsday snapshot) and beside its cloud copy (RCLONE_PATH.kit,
// pushed by `sync`). It never holds the repository password nor any other secret.

export const KIT_FILES = { runbook: "RUNBOOK.txt", config: "config.redacted.ini", executable: "backup-tui" } as const;

/** Secret keys: their values are removed from the kit's config. */
function secretKeys(): Set<string> {
  const out = new Set<string>(["RESTIC_PASSWORD"]);
  for (const keys of Object.values(SECTIONS)) for (const [k, def] of Object.entries(keys)) if ((def as { secret?: boolean }).secret) out.add(k);
  for (const [k, def] of Object.entries(STACK_KEYS)) if ((def as { secret?: boolean }).secret) out.add(k);
  return out;
}

/** The config file's text with every secret value removed (the line stays, emptied, so the reader sees what to fill in). */
export function redactConfigText(text: string): string {
  const secrets = secretKeys();
  return text
    .split("\n")
    .map((line) => {
      const m = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*=)/.exec(line);
      if (!m || !secrets.has(m[2].toUpperCase())) return line;
      return `${m[1]}${m[2]}${m[3]} ; removed from the recovery kit: a secret, fill it in by hand`;
    })
    .join("\n");
}

export interface RunbookFacts {
  host: string;
  createdAt: string;
  version: string;
  remote?: string;
  repository: string;
  passwordHint?: string;
  passwordSource: string;
  stacks: Array<{ name: string; dir?: string; running: boolean }>;
  volumes: number;
  networks: number;
  savedImages: string[];
  localImages: string[];
  portainer?: string;
  configFile?: string;
}

/** The plain-text runbook: which remote, which repository, which commands, in which order. */
export function runbookText(f: RunbookFacts): string {
  const where = f.remote ?? "(no cloud remote was configured: copy the repository to the new host by hand)";
  const lines = [
    `BACKUP-TUI RECOVERY RUNBOOK for host ${f.host}`,
    `written ${f.createdAt} by backup-tui ${f.version} (backup --doomsday)`,
    "",
    "WHAT YOU NEED",
    `  - the cloud copy of the repository: ${where}`,
    `  - the repository password. It is NOT in this kit. You said you keep it: ${f.passwordHint ?? "(no [doomsday] PASSWORD_HINT was set)"}`,
    `    (on the old host it came from ${f.passwordSource})`,
    "  - a new host with Docker Engine and the Compose plugin, restic and rclone installed",
    "  - rclone configured for the remote (`rclone config`), credentials from your provider",
    "",
    "STEPS, IN ORDER",
    `  1. Copy the executable \`${KIT_FILES.executable}\` from this kit to /usr/local/bin and chmod +x it.`,
    `  2. Copy \`${KIT_FILES.config}\` to /etc/backup-tui/config.ini and fill in what it says was removed:`,
    "     the password source (RESTIC_PASSWORD_FILE is best: write the password into that file, chmod 600),",
    "     notification tokens if you want them. Keep RESTIC_REPOSITORY a local, EMPTY directory.",
    "  3. Check the setup:         backup-tui doctor",
    "  4. Recover everything:      backup-tui restore --disaster --yes",
    `     (pulls ${where} into RESTIC_REPOSITORY, checks it, recreates networks and volumes,`,
    "     restores stack directories and volume data, loads database dumps, starts the stacks in",
    "     dependency order and reports each stack's state). It refuses to touch anything that already",
    "     exists on the new host unless you add --overwrite. Interrupted? Run the same command again:",
    "     it continues from its journal.",
    `     Restoring onto a host with another name: add --host ${f.host}.`,
    "  5. Check what came back:    backup-tui status   and   docker ps",
    "  6. Schedule backups again:  backup-tui schedule install",
    "",
    "WHAT THE DOOMSDAY SNAPSHOT HOLDS",
    `  stacks (${f.stacks.length}): ${f.stacks.map((s) => `${s.name}${s.running ? "" : " (was stopped)"}${s.dir ? ` ${s.dir}` : ""}`).join(", ") || "none"}`,
    `  named volumes: ${f.volumes}, networks: ${f.networks}`,
    `  images saved with docker save: ${f.savedImages.join(", ") || "none"}`,
    `  images built here that cannot be pulled again: ${f.localImages.join(", ") || "none"}${f.localImages.length && !f.savedImages.length ? " (set [doomsday] SAVE_IMAGES=local to keep them)" : ""}`,
    `  Portainer backup: ${f.portainer ?? "not configured"}`,
    `  the full config file ${f.configFile ?? "(embedded default)"} (with its secrets: the repository is encrypted)`,
    "",
    "BY HAND, IF backup-tui CANNOT RUN",
    `  rclone copy ${f.remote ?? "REMOTE:PATH"} /srv/restic-repo`,
    "  restic -r /srv/restic-repo snapshots --tag kind:doomsday        # the newest is the one",
    "  restic -r /srv/restic-repo dump latest --tag kind:doomsday /PATH/inventory.json",
    "  restic -r /srv/restic-repo restore SNAPSHOT --target /          # per stack snapshot (kind:stack)",
    "",
  ];
  return lines.join("\n");
}

/** The executable to put in the kit: this single executable, or undefined when running from source. */
export function selfExecutable(): string | undefined {
  return isSea() ? process.execPath : undefined;
}

/** Writes the kit into dir (replacing an older one) and returns the files written. */
export function writeKit(dir: string, config: Config, facts: RunbookFacts): { files: string[]; executable: boolean } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  writeFileSync(join(dir, KIT_FILES.runbook), runbookText(facts), { mode: 0o644 });
  files.push(KIT_FILES.runbook);
  const configText = config.source.file && existsSync(config.source.file) ? readFileSync(config.source.file, "utf8") : "; the embedded default configuration was in use\n";
  writeFileSync(join(dir, KIT_FILES.config), redactConfigText(configText), { mode: 0o600 });
  files.push(KIT_FILES.config);
  const exe = selfExecutable();
  if (exe) {
    copyFileSync(exe, join(dir, KIT_FILES.executable));
    chmodSync(join(dir, KIT_FILES.executable), 0o755);
    files.push(KIT_FILES.executable);
  }
  return { files, executable: !!exe };
}

/** Where the kit sits beside the cloud copy: a sibling of RCLONE_PATH. */
export function kitRemotePath(remote: string, path: string): string {
  return `${remote}:${path.replace(/\/+$/, "")}.kit`;
}
