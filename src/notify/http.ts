import { errorMessage } from "../errors";
import { redactUrl, redactUrlIn } from "../exec/redact";
import type { Logger } from "../log";

export interface HttpRequest {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

/** Where a URL points, without its path, query or credentials: safe for logs. */
export function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return `${redactUrl(url)} (invalid URL)`;
  }
}

/**
 * Sends one request with a timeout and a few retries (backoff). Never throws: a dead
 * endpoint must not fail the backup it reports on. Returns whether it was delivered.
 */
export async function deliver(
  req: HttpRequest,
  o: { log: Logger; attempts?: number; timeoutMs?: number; baseMs?: number; what: string },
): Promise<boolean> {
  const attempts = o.attempts ?? 3;
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(req.url, {
        method: req.method ?? "POST",
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      if (res.ok) return true;
      o.log.warn(
        { to: where(req.url), status: res.status, attempt: i },
        `${o.what}: the endpoint answered ${res.status}`,
      );
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return false;
    } catch (err) {
      // fetch's message quotes the URL whole ("Failed to parse URL from https://ntfy.sh/topic").
      o.log.warn(
        { to: where(req.url), attempt: i, err: redactUrlIn(errorMessage(err), req.url) },
        `${o.what}: not delivered`,
      );
    }
    if (i < attempts) await new Promise((r) => setTimeout(r, (o.baseMs ?? 1000) * 2 ** (i - 1)));
  }
  return false;
}
