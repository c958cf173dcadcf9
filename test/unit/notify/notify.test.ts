import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/types";
import { Secret } from "../../../src/exec/redact";
import { silentLogger } from "../../../src/log";
import type { RunNotice } from "../../../src/notify/message";
import { notifyRun, requestsFor } from "../../../src/notify/notify";
import { render, writeTextfile } from "../../../src/notify/textfile";
import { parseExposition } from "../../helpers/prometheus";

const notice = (status: RunNotice["status"]): RunNotice => ({
  kind: "backup",
  runId: 7,
  status,
  host: "host1",
  exitCode: status === "succeeded" ? 0 : 1,
  lines: ["web: succeeded, downtime 1.2 s", "db: FAILED disk full"],
  error: status === "failed" ? "db: disk full" : undefined,
  startedAt: "2026-11-22T03:00:00Z",
  finishedAt: "2026-11-22T03:01:00Z",
});

function config(base: string, on = ["failure"]): Config {
  return {
    notify: {
      webhookUrl: new Secret(`${base}/hook`),
      ntfyUrl: new Secret(`${base}/ntfy-topic`),
      gotifyUrl: `${base}/gotify/`,
      gotifyToken: new Secret("app-token-123"),
      healthchecksUrl: new Secret(`${base}/ping/uuid-1`),
      on,
    },
  } as unknown as Config;
}

describe("notification formats", () => {
  it("Given a failure, When requests are built, Then each service gets its documented format", () => {
    const reqs = Object.fromEntries(requestsFor(config("http://x"), notice("failed")).map((r) => [r.what, r.req]));
    expect(JSON.parse(reqs.webhook.body!)).toMatchObject({
      source: "backup-tui",
      kind: "backup",
      status: "failed",
      host: "host1",
    });
    expect(reqs.ntfy.headers).toMatchObject({
      Title: "backup-tui backup on host1 FAILED",
      Priority: "5",
      Tags: "warning",
    });
    expect(reqs.ntfy.body).toContain("db: FAILED disk full");
    expect(reqs.gotify.url).toBe("http://x/gotify/message");
    expect(reqs.gotify.headers!["X-Gotify-Key"]).toBe("app-token-123");
    expect(JSON.parse(reqs.gotify.body!)).toMatchObject({ title: expect.stringContaining("FAILED"), priority: 8 });
    expect(reqs.healthchecks.url).toBe("http://x/ping/uuid-1/fail");
  });

  it("Given NOTIFY_ON=failure and a success, When requests are built, Then only the healthchecks ping goes out, to the success URL", () => {
    const reqs = requestsFor(config("http://x"), notice("succeeded"));
    expect(reqs.map((r) => r.what)).toEqual(["healthchecks"]);
    expect(reqs[0].req.url).toBe("http://x/ping/uuid-1");
  });
});

describe("delivery to a real HTTP server on loopback", () => {
  let base: string;
  const got: Array<{ path: string; headers: IncomingMessage["headers"]; body: string }> = [];
  let failNext = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
        return;
      }
      got.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("Given an endpoint failing once, When notified, Then it is retried and every service receives its request", async () => {
    failNext = 1;
    const sent = await notifyRun(config(base), silentLogger, notice("failed"), { baseMs: 10 });
    expect(sent.every((s) => s.delivered)).toBe(true);
    expect(got.map((g) => g.path).sort()).toEqual(["/gotify/message", "/hook", "/ntfy-topic", "/ping/uuid-1/fail"]);
    expect(got.find((g) => g.path === "/gotify/message")!.headers["x-gotify-key"]).toBe("app-token-123");
  });

  it("Given a dead endpoint, When notified, Then it reports undelivered without throwing", async () => {
    const dead = {
      notify: { webhookUrl: new Secret("http://127.0.0.1:9/hook"), on: ["failure"] },
    } as unknown as Config;
    const t = Date.now();
    const sent = await notifyRun(dead, silentLogger, notice("failed"), { baseMs: 10 });
    expect(sent).toEqual([{ what: "webhook", delivered: false }]);
    expect(Date.now() - t).toBeLessThan(5000);
  });
});

describe("Prometheus textfile", () => {
  it("Given metrics with labels needing escapes, When rendered and written, Then the file parses as exposition format", () => {
    const dir = mkdtempSync(join(tmpdir(), "prom-"));
    const file = join(dir, "backup_tui.prom");
    writeTextfile(file, [
      {
        name: "backup_tui_stack_last_success",
        help: "h",
        type: "gauge",
        samples: [
          { labels: { stack: 'we"ird\\name' }, value: 1 },
          { labels: { stack: "db" }, value: 0 },
        ],
      },
      { name: "backup_tui_snapshots", help: "h", type: "gauge", samples: [{ value: 42 }] },
      { name: "backup_tui_empty", help: "h", type: "gauge", samples: [] },
    ]);
    const parsed = parseExposition(readFileSync(file, "utf8"));
    expect(parsed).toHaveLength(3);
    expect(parsed.find((p) => p.name === "backup_tui_snapshots")!.value).toBe(42);
    expect(render([])).toBe("\n");
    rmSync(dir, { recursive: true, force: true });
  });
});
