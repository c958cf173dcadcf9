import type { KeyDefs, SectionValues } from "./key-def";
import { secret } from "./convert";
import { path, text } from "./values";

/** [doomsday]: the full-host backup (`backup --doomsday`). */
export const DOOMSDAY_KEYS = {
  SAVE_IMAGES: {
    schema: text,
    default: "off",
    description:
      "Images `docker save`d into the doomsday snapshot (loaded back by `restore --disaster` when missing): off, local (every image with no registry digest: built here, cannot be pulled again), or a comma list of image names.",
  },
  PASSWORD_HINT: {
    schema: text,
    description:
      "Where you keep the repository password, written into the recovery kit's runbook (never the password itself).",
    example: "password manager, entry 'backup-tui restic'",
  },
  DAEMON_CONFIG: {
    schema: path,
    default: "/etc/docker/daemon.json",
    description: "The Docker daemon's config file, kept in the doomsday snapshot when it exists.",
  },
  PORTAINER_URL: {
    kit: "url",
    schema: text,
    description:
      "Portainer to back up through its API (POST /api/backup) into the doomsday snapshot; unreachable is a warning, not a failure.",
    example: "https://127.0.0.1:9443",
  },
  PORTAINER_TOKEN: {
    schema: text,
    secret: true,
    description: "Portainer access token (X-API-Key) for PORTAINER_URL.",
    example: "ptr_AbCdEf123456",
  },
} satisfies KeyDefs;

/** Config.doomsday from the [doomsday] keys. */
export function doomsdaySettings(k: SectionValues<typeof DOOMSDAY_KEYS>) {
  return {
    saveImages: k.SAVE_IMAGES,
    passwordHint: k.PASSWORD_HINT,
    daemonConfig: k.DAEMON_CONFIG,
    portainerUrl: k.PORTAINER_URL,
    portainerToken: secret(k.PORTAINER_TOKEN),
  };
}

/** [security]: the confirmation password of destructive actions. */
export const SECURITY_KEYS = {
  CONFIRM_PASSWORD_HASH: {
    schema: text,
    secret: true,
    fileOnly: true,
    description: "scrypt hash of the confirmation password for destructive actions.",
  },
} satisfies KeyDefs;

/** Config.security from the [security] key. */
export function securitySettings(k: SectionValues<typeof SECURITY_KEYS>) {
  return { confirmPasswordHash: secret(k.CONFIRM_PASSWORD_HASH) };
}
