import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/types";
import { redactUrl, Secret } from "../../../src/exec/redact";
import { createLogger } from "../../../src/log";
import type { RunNotice } from "../../../src/notify/message";
import { notifyRun } from "../../../src/notify/notify";

const notice: RunNotice = {
  kind: "backup",
  status: "failed",
  host: "h1",
  exitCode: 1,
  lines: ["web: FAILED"],
  startedAt: "2026-12-01T03:00:00Z",
  finishedAt: "2026-12-01T03:01:00Z",
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "notify-redact-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Delivers to these URLs through the real logger; returns the log file's records. */
async function deliverTo(urls: { webhook?: string; ntfy?: string }): Promise<Array<Record<string, unknown>>> {
  const file = join(dir, "backup-tui.log");
  const log = createLogger({ file, fileLevel: "debug" });
  const config = {
    notify: {
      webhookUrl: urls.webhook ? new Secret(urls.webhook) : undefined,
      ntfyUrl: urls.ntfy ? new Secret(urls.ntfy) : undefined,
      on: ["failure"],
    },
  } as unknown as Config;
  const sent = await notifyRun(config, log, notice, { baseMs: 1 });
  expect(sent.every((s) => !s.delivered)).toBe(true);
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("a malformed notification URL is logged redacted", () => {
  it.each([
    [
      "a webhook with a bad port, credentials and a token path",
      { webhook: "https://bot:tok3n-Secret@hooks.example.com:99999/services/T0KEN-abc123" },
      "https://***@hooks.example.com:99999/***",
      ["tok3n-Secret", "T0KEN-abc123", "bot"],
    ],
    [
      "an ntfy URL with a space in its host",
      { ntfy: "https://ntfy .sh/secret-topic-xyz" },
      "https://ntfy/***",
      ["secret-topic-xyz"],
    ],
    [
      "an ntfy URL without a scheme",
      { ntfy: "ntfy.sh/secret-topic-xyz?auth=QWERTY12" },
      "***",
      ["secret-topic-xyz", "QWERTY12", "ntfy.sh"],
    ],
  ])(
    "Given %s, When delivery fails, Then the log record and its error hold only the redacted form",
    async (_, urls, redacted, secrets) => {
      const records = await deliverTo(urls);
      const failures = records.filter((r) => String(r.msg).endsWith("not delivered"));
      expect(failures.length).toBe(3); // every attempt is logged
      for (const r of failures) {
        expect(r.to).toBe(`${redacted} (invalid URL)`);
        // fetch's own message quoted the URL whole: now it quotes the redacted form.
        expect(String(r.err)).toContain(redacted);
      }
      const text = JSON.stringify(records);
      for (const s of secrets) expect(text).not.toContain(s);
    },
  );

  it("Given well-formed URLs, Then redactUrl keeps scheme and host only, credentials and any path masked", () => {
    expect(redactUrl("https://ntfy.sh/mytopic")).toBe("https://ntfy.sh/***");
    expect(redactUrl("https://user:pw@example.com:8443/hook?token=1")).toBe("https://***@example.com:8443/***");
    expect(redactUrl("http://127.0.0.1:9")).toBe("http://127.0.0.1:9");
    expect(redactUrl("https://h/\u001b[2Jx y")).toBe("https://h/***");
  });
});
