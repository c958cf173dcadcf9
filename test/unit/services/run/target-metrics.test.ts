import { afterEach, describe, expect, it } from "vitest";
import type { SyncTarget } from "../../../../src/config/targets";
import { collectMetrics } from "../../../../src/services/run/after-run";
import { testContext, type TestContext } from "../../../helpers/fakes";

const target = (name: string): SyncTarget => ({
  name,
  section: name === "default" ? "cloud_sync" : `cloud_sync:${name}`,
  mode: name === "default" ? "mirror" : "append",
  remote: "r",
  path: name,
  transfers: 4,
  keepDeletedDays: 7,
  maxDeletePercent: 50,
});

describe("metrics per sync target", () => {
  let tc: TestContext;
  afterEach(() => tc?.cleanup());

  it("Given one target synced and one refused, When the metrics are collected, Then each target has its own result and time; an unsynced one none", () => {
    tc = testContext();
    tc.ctx.config.targets = [target("default"), target("vault"), target("never")];
    const ok = tc.ctx.store.startRun("sync", "manual", tc.ctx.owner, { stack: "default" });
    tc.ctx.store.finishRun(ok, "succeeded", 0);
    const bad = tc.ctx.store.startRun("sync", "manual", tc.ctx.owner, { stack: "vault" });
    tc.ctx.store.finishRun(bad, "failed", 1, "the copy at vault lost 2 snapshots you did not forget");
    const metrics = collectMetrics(tc.ctx);
    const success = metrics.find((m) => m.name === "backup_tui_sync_target_last_success");
    expect(success?.samples).toEqual([
      { labels: { target: "default" }, value: 1 },
      { labels: { target: "vault" }, value: 0 },
    ]);
    const when = metrics.find((m) => m.name === "backup_tui_sync_target_last_timestamp_seconds");
    expect(when?.samples.map((s) => s.labels?.target)).toEqual(["default", "vault"]);
    expect(when?.samples[0].value).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});
