import { writePrivateFile } from "../../fsops/private-files";
import { redactUrlIn, type Secret } from "../../exec/redact";
import { errorMessage } from "../../errors";
import { where } from "../../notify/http";

/**
 * Portainer's configuration through its API: POST {url}/api/backup with the access token in
 * the X-API-Key header and a JSON body {"password": ""}; Portainer answers 200 with the
 * archive (application/x-gzip). The token never goes into argv, logs or messages.
 * Returns the archive's size, or throws an Error whose message is safe to show.
 */
export async function portainerBackup(
  url: string,
  token: Secret | undefined,
  file: string,
  signal?: AbortSignal,
): Promise<number> {
  const endpoint = `${url.replace(/\/+$/, "")}/api/backup`;
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token ? { "X-API-Key": token.reveal() } : {}) },
      body: JSON.stringify({ password: "" }),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(120_000)]) : AbortSignal.timeout(120_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = redactUrlIn(cause?.code ?? cause?.message ?? errorMessage(err), endpoint);
    throw new Error(`Portainer at ${where(endpoint)} cannot be reached (${why})`);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => "")).slice(0, 200).replace(/\s+/g, " ");
    const why = res.status === 401 || res.status === 403 ? "the token is not accepted (PORTAINER_TOKEN)" : body;
    throw new Error(`Portainer backup at ${where(endpoint)} answered HTTP ${res.status}${why ? `: ${why}` : ""}`);
  }
  const buf = Buffer.from(await res.arrayBuffer());
  if (!buf.length) throw new Error(`Portainer backup at ${where(endpoint)} returned an empty archive`);
  writePrivateFile(file, buf);
  return buf.length;
}
