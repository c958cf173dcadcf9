import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAsync, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, writeStack } from "../../helpers/stacks";
import { parseExposition } from "../../helpers/prometheus";
import { webhook, type Webhook } from "../../helpers/webhook";

describe("notifications and metrics from a real backup", () => {
  let w: TestWorld;
  let dir: string;
  let base: string;
  let hook: Webhook;
  let got: Webhook["got"];

  beforeAll(async () => {
    ensureBinary();
    hook = await webhook("");
    base = hook.url;
    got = hook.got;
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "notified", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
  });
  afterAll(async () => {
    composeDown(dir);
    w.cleanup();
    await hook.close();
  });

  it("a successful backup pings healthchecks (start, then success), posts to the webhook with NOTIFY_ON=success, and writes parseable metrics", async () => {
    const prom = join(w.dir, "metrics", "backup_tui.prom");
    const r = await cliAsync(w, ["backup", "notified"], {
      BACKUP_TUI_NOTIFY_WEBHOOK_URL: `${base}/hook`,
      BACKUP_TUI_NOTIFY_HEALTHCHECKS_URL: `${base}/ping/abc`,
      BACKUP_TUI_NOTIFY_NOTIFY_ON: "failure,success",
      BACKUP_TUI_NOTIFY_PROMETHEUS_TEXTFILE: prom,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(got.map((g) => g.path)).toEqual(["/ping/abc/start", ...got.slice(1).map((g) => g.path)]);
    expect(got.map((g) => g.path).sort()).toEqual(["/hook", "/ping/abc", "/ping/abc/start"]);
    const hook = JSON.parse(got.find((g) => g.path === "/hook")!.body);
    expect(hook).toMatchObject({ kind: "backup", status: "succeeded", exitCode: 0 });
    expect(hook.lines[0]).toContain("notified: succeeded");
    const metrics = parseExposition(readFileSync(prom, "utf8"));
    const ok = metrics.find((m) => m.name === "backup_tui_stack_last_success" && m.labels.includes('stack="notified"'));
    expect(ok?.value).toBe(1);
    const ts = metrics.find((m) => m.name === "backup_tui_stack_last_success_timestamp_seconds")!.value;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(120);
    expect(metrics.find((m) => m.name === "backup_tui_snapshots")!.value).toBeGreaterThanOrEqual(1);
    // The local repository's size on disk and its filesystem's free share.
    const repoBytes = execFileSync("find", [w.repo, "-type", "f", "-printf", "%s\\n"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .reduce((n, l) => n + Number(l), 0);
    const measured = metrics.find((m) => m.name === "backup_tui_repository_bytes")!.value;
    expect(measured).toBeGreaterThan(0);
    expect(measured).toBe(repoBytes);
    const free = metrics.find((m) => m.name === "backup_tui_repository_fs_free_ratio")!.value;
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(1);
  });

  it("a dead notification endpoint does not fail the backup", async () => {
    const r = await cliAsync(w, ["backup", "notified"], {
      BACKUP_TUI_NOTIFY_WEBHOOK_URL: "http://127.0.0.1:9/hook",
      BACKUP_TUI_NOTIFY_NOTIFY_ON: "success",
    });
    expect(r.code, r.stderr).toBe(0);
  });
});
