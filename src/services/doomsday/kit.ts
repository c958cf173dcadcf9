import {
  copyExecutable,
  ensurePrivateDir,
  removePath,
  writePrivateFile,
  writePublicFile,
} from "../../fsops/private-files";
import { pathExists, readText } from "../../fsops/probe";
import { isSea } from "node:sea";
import { join } from "node:path";
import type { Config } from "../../config/types";
import { SECTIONS, STACK_KEYS, type KeyDef } from "../../config/keys";
import { isSecretName, redact } from "../../exec/redact";

// The recovery kit: what a person needs on a bare host to get everything back, beside the
// encrypted repository (in the doomsday snapshot) and beside its cloud copy (RCLONE_PATH.kit,
// pushed by `sync`). It never holds the repository password nor any other secret.

export const KIT_FILES = { runbook: "RUNBOOK.txt", config: "config.redacted.ini", executable: "backup-tui" } as const;

/** Every key's declaration by name ([stack:NAME] keys included): what the kit must remove from its value. */
function keyDefs(): Map<string, KeyDef> {
  const out = new Map<string, KeyDef>();
  for (const keys of Object.values(SECTIONS) as Array<Record<string, KeyDef>>)
    for (const [k, def] of Object.entries(keys)) out.set(k, def);
  for (const [k, def] of Object.entries(STACK_KEYS) as Array<[string, KeyDef]>) if (!out.has(k)) out.set(k, def);
  return out;
}

const URL_IN_TEXT = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)([^\s]*)/gi;

/**
 * URLs in a value with their credentials removed: user:password@ always, the query and fragment
 * always (tokens hide there), and with `siteOnly` the path too (a Gotify or ntfy token, a webhook's
 * secret path). Returns the value and whether anything was removed.
 */
export function maskUrls(value: string, siteOnly: boolean): { value: string; changed: boolean } {
  let changed = false;
  const out = value.replace(URL_IN_TEXT, (all, scheme: string, authority: string, rest: string) => {
    const host = authority.includes("@") ? authority.slice(authority.lastIndexOf("@") + 1) : authority;
    const kept = siteOnly ? "" : rest.replace(/[?#].*$/, "");
    const masked = `${scheme}${host}${kept}`;
    if (masked !== all) changed = true;
    return masked;
  });
  return { value: out, changed };
}

const KEY_LINE = /^(\s*(?:[#;]\s*)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$/;

/**
 * The config file's text for the recovery kit: secret values, commands (hooks, the password
 * command: `PGPASSWORD=... pg_dump` lives there) and URL credentials removed, commented-out lines
 * too. Each emptied line gets a note above it, and a header lists them all: fill them in by hand.
 */
export function redactConfigText(text: string): string {
  const defs = keyDefs();
  const removed: string[] = [];
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = KEY_LINE.exec(line);
    if (!m) {
      out.push(redact(line));
      continue;
    }
    const [, lead, key, eq, raw] = m;
    const def = defs.get(key.toUpperCase());
    const commented = /[#;]/.test(lead);
    const value = raw.replace(/^(["'])(.*)\1$/, "$2");
    const secret = def ? !!def.secret : isSecretName(key) && !/_FILE$/i.test(key);
    const command = def ? def.kit === "command" : /HOOK|COMMAND/i.test(key);
    const empty = (why: string) => {
      if (!value.trim()) return out.push(line);
      if (!commented) removed.push(key);
      out.push(
        `${lead.replace(/\S.*$/, "")}# removed from the recovery kit (${why}): fill in ${key} by hand`,
        `${lead}${key}${eq.trimEnd()}`,
      );
    };
    if (secret) {
      empty("a secret");
      continue;
    }
    if (command) {
      empty("a command, which may hold a password");
      continue;
    }
    const urls = maskUrls(value, def?.kit === "url");
    const masked = redact(urls.value);
    if (masked === value) {
      out.push(line);
      continue;
    }
    if (!commented) removed.push(key);
    out.push(
      `${lead.replace(/\S.*$/, "")}# credentials, path or query removed from the recovery kit: fill in ${key} by hand`,
      `${lead}${key}${eq}${masked}`,
    );
  }
  if (!removed.length) return out.join("\n");
  return [
    `# RECOVERY KIT COPY: the values of ${[...new Set(removed)].join(", ")} were removed (secrets, commands,`,
    "# credentials inside URLs). Fill them in by hand before `backup-tui restore --disaster`.",
    ...out,
  ].join("\n");
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
  removePath(dir);
  ensurePrivateDir(dir);
  const files: string[] = [];
  // The runbook is readable by all: a URL in an error it quotes (Portainer's) loses its credentials.
  writePublicFile(join(dir, KIT_FILES.runbook), redact(maskUrls(runbookText(facts), false).value));
  files.push(KIT_FILES.runbook);
  const configText =
    config.source.file && pathExists(config.source.file)
      ? readText(config.source.file)
      : "; the embedded default configuration was in use\n";
  writePrivateFile(join(dir, KIT_FILES.config), redactConfigText(configText));
  files.push(KIT_FILES.config);
  const exe = selfExecutable();
  if (exe) {
    copyExecutable(exe, join(dir, KIT_FILES.executable));
    files.push(KIT_FILES.executable);
  }
  return { files, executable: !!exe };
}

/** Re-masks the kit's config in place (a kit written by an older version goes out masked too). */
export function remaskKitConfig(dir: string): void {
  const file = join(dir, KIT_FILES.config);
  if (pathExists(file)) writePrivateFile(file, redactConfigText(readText(file)));
}

/** Where the kit sits beside the cloud copy: a sibling of RCLONE_PATH. */
export function kitRemotePath(remote: string, path: string): string {
  return `${remote}:${path.replace(/\/+$/, "")}.kit`;
}
