import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback HTTP server that records every request's path and body (notification tests). */
export interface Webhook {
  url: string;
  got: Array<{ path: string; body: string }>;
  /** The bodies, parsed as JSON. */
  json(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function webhook(path = "/hook"): Promise<Webhook> {
  const got: Array<{ path: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ path: req.url ?? "", body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    got,
    json: () => got.map((g) => JSON.parse(g.body) as Record<string, unknown>),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
