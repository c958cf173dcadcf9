import { describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/types";
import type { RunNotice } from "../../../src/notify/message";
import { requestsFor } from "../../../src/notify/notify";
import { Secret } from "../../../src/exec/redact";

const config = {
  notify: {
    healthchecksUrl: new Secret("http://x/ping/uuid-1"),
    ntfyUrl: new Secret("http://x/topic"),
    on: ["partial", "failure"],
  },
} as unknown as Config;
const notice = (status: RunNotice["status"], exitCode: number): RunNotice => ({
  kind: "backup",
  status,
  host: "h",
  exitCode,
  lines: [],
  startedAt: "",
  finishedAt: "",
});

describe("a partial run as healthchecks and notifications see it", () => {
  it("Given a partial backup (exit 3), When requests are built, Then healthchecks gets the exit code (a failure there) and ntfy a warning", () => {
    const reqs = Object.fromEntries(requestsFor(config, notice("partial", 3)).map((r) => [r.what, r.req]));
    expect(reqs.healthchecks.url).toBe("http://x/ping/uuid-1/3");
    expect(reqs.ntfy.headers).toMatchObject({
      Title: "backup-tui backup on h finished with warnings",
      Tags: "warning",
    });
  });

  it("Given a success or a failure, When requests are built, Then healthchecks gets the success and /fail URLs as before", () => {
    expect(requestsFor(config, notice("succeeded", 0)).find((r) => r.what === "healthchecks")!.req.url).toBe(
      "http://x/ping/uuid-1",
    );
    expect(requestsFor(config, notice("interrupted", 130)).find((r) => r.what === "healthchecks")!.req.url).toBe(
      "http://x/ping/uuid-1/fail",
    );
  });
});
