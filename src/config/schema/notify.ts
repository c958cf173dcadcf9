import { list, secret } from "./convert";
import type { KeyDefs, SectionValues } from "./key-def";
import { path, text } from "./values";

/** [notify]: where run results are sent. */
export const NOTIFY_KEYS = {
  WEBHOOK_URL: { schema: text, secret: true, description: "Generic JSON webhook." },
  NTFY_URL: { schema: text, secret: true, description: "ntfy topic URL." },
  GOTIFY_URL: { kit: "url", schema: text, description: "Gotify server URL." },
  GOTIFY_TOKEN: { schema: text, secret: true, description: "Gotify application token." },
  HEALTHCHECKS_URL: { schema: text, secret: true, description: "healthchecks.io-style ping URL." },
  NOTIFY_ON: { schema: text, default: "failure", description: "Comma list of failure, partial, success." },
  PROMETHEUS_TEXTFILE: {
    schema: path,
    description: "Write metrics here after every run, for node_exporter's textfile collector.",
    example: "/var/lib/node_exporter/textfile_collector/backup_tui.prom",
  },
} satisfies KeyDefs;

/** The events NOTIFY_ON may name. */
export const NOTIFY_EVENTS = ["failure", "partial", "success"];

/** Config.notify from the [notify] keys (prometheusTextfile is made absolute by the loader). */
export function notifySettings(k: SectionValues<typeof NOTIFY_KEYS>) {
  return {
    webhookUrl: secret(k.WEBHOOK_URL),
    ntfyUrl: secret(k.NTFY_URL),
    gotifyUrl: k.GOTIFY_URL,
    gotifyToken: secret(k.GOTIFY_TOKEN),
    healthchecksUrl: secret(k.HEALTHCHECKS_URL),
    on: list(k.NOTIFY_ON),
    prometheusTextfile: k.PROMETHEUS_TEXTFILE,
  };
}
