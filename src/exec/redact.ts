/** Masks secrets in text meant for logs, error messages and the terminal. */
// The scheme must start where no scheme character precedes it: a long run of letters is then
// tried once, not from every position (which made this quadratic).
const URL_CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]+)@/gi;
// TWO_PASS (the low-downtime setting) names no password: `config show` prints it as it is.
const SECRET_ASSIGNMENT = /\b([A-Z0-9_]*(?:PASSWORD|(?<!TWO_)PASS|SECRET|TOKEN|KEY)[A-Z0-9_]*)=(\S+)/g;

export const MASK = "***";

/** A secret value: prints as *** everywhere except through reveal(). */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return MASK;
  }
}

export function redact(text: string, secrets: readonly string[] = []): string {
  // NAME_FILE=/path names where a secret lives, not the secret: keep it readable.
  let out = text
    .replace(URL_CREDENTIALS, `$1$2:${MASK}@`)
    .replace(SECRET_ASSIGNMENT, (all, name: string) => (name.endsWith("_FILE") ? all : `${name}=${MASK}`));
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join(MASK);
  return out;
}

const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)?([^/?#@\s]*@)?([^/?#@\s]*)(.*)$/is;

/**
 * A URL as it may be shown: scheme and host; any user or password as ***, any path, query or
 * fragment (an ntfy topic, a webhook token) as /***. Malformed URLs too, which cannot be parsed.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const creds = u.username || u.password ? `${MASK}@` : "";
    const rest = u.pathname.replace(/^\/$/, "") || u.search || u.hash ? `/${MASK}` : "";
    return `${u.protocol}//${creds}${u.host}${rest}`;
  } catch {
    const [, scheme, creds, host, rest] = URL_PARTS.exec(url.trim())!;
    // Without a scheme there is no telling a host from a topic or a token: nothing of it is shown.
    if (!scheme) return MASK;
    return `${scheme}${creds ? `${MASK}@` : ""}${host.replace(/[\u0000-\u001f\u007f]/g, "")}${rest ? `/${MASK}` : ""}`;
  }
}

/** Text that may quote a URL (fetch's errors do): every occurrence of it shown redacted. */
export function redactUrlIn(text: string, url: string): string {
  return redact(url ? text.split(url).join(redactUrl(url)) : text);
}

/** Env var names whose values must never be shown. */
export function isSecretName(name: string): boolean {
  return /PASSWORD|PASS$|SECRET|TOKEN|(^|_)KEY($|_)|CREDENTIAL/i.test(name);
}
