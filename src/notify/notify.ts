import type { Config } from "../config/types";
import type { Logger } from "../log";
import { deliver, type HttpRequest } from "./http";
import { body, title, wanted, type RunNotice } from "./message";

/** The requests each configured service gets for a finished run, in its documented format. */
export function requestsFor(config: Config, n: RunNotice): Array<{ what: string; req: HttpRequest }> {
  const out: Array<{ what: string; req: HttpRequest }> = [];
  const c = config.notify;
  const bad = n.status !== "succeeded";
  if (n.announce || wanted(c.on, n.status)) {
    if (c.webhookUrl) {
      out.push({
        what: "webhook",
        req: {
          url: c.webhookUrl.reveal(),
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ source: "backup-tui", title: title(n), ...n }),
        },
      });
    }
    if (c.ntfyUrl) {
      // ntfy: the body is the message; Title, Priority (1-5) and Tags as headers.
      out.push({
        what: "ntfy",
        req: {
          url: c.ntfyUrl.reveal(),
          headers: {
            Title: title(n),
            Priority: n.status === "failed" ? "5" : bad ? "4" : "3",
            Tags: n.status === "succeeded" ? "white_check_mark" : "warning",
          },
          body: body(n),
        },
      });
    }
    if (c.gotifyUrl && c.gotifyToken) {
      // Gotify: POST /message with the app token in X-Gotify-Key; JSON title, message, priority.
      out.push({
        what: "gotify",
        req: {
          url: `${c.gotifyUrl.replace(/\/+$/, "")}/message`,
          headers: { "content-type": "application/json", "X-Gotify-Key": c.gotifyToken.reveal() },
          body: JSON.stringify({
            title: title(n),
            message: body(n),
            priority: n.status === "failed" ? 8 : bad ? 5 : 2,
          }),
        },
      });
    }
  }
  if (c.healthchecksUrl && !n.announce) {
    // healthchecks.io: ping URL on success, URL/fail on failure, the log in the body. Always sent.
    // A partial run pings its exit code (URL/3): healthchecks counts a non-zero one as a failure, as a scheduler does.
    const base = c.healthchecksUrl.reveal().replace(/\/+$/, "");
    const url =
      n.status === "failed" || n.status === "interrupted"
        ? `${base}/fail`
        : n.status === "partial" && n.exitCode
          ? `${base}/${n.exitCode}`
          : base;
    out.push({ what: "healthchecks", req: { url, body: body(n) } });
  }
  return out;
}

/** Tells every configured service; waits at most for their retries, never throws. */
export async function notifyRun(
  config: Config,
  log: Logger,
  n: RunNotice,
  o: { baseMs?: number } = {},
): Promise<Array<{ what: string; delivered: boolean }>> {
  return Promise.all(
    requestsFor(config, n).map(async ({ what, req }) => ({
      what,
      delivered: await deliver(req, { log, what, baseMs: o.baseMs }),
    })),
  );
}

/** healthchecks.io's start signal (measures the run's duration, detects hangs). */
export async function notifyStart(config: Config, log: Logger, o: { baseMs?: number } = {}): Promise<void> {
  const url = config.notify.healthchecksUrl?.reveal();
  if (url)
    await deliver(
      { url: `${url.replace(/\/+$/, "")}/start` },
      { log, what: "healthchecks start", attempts: 2, baseMs: o.baseMs },
    );
}
