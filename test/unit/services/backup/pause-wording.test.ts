import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Printer } from "../../../../src/output";
import { backupStack, type StackJob } from "../../../../src/services/backup/stack";
import type { ServiceEvent } from "../../../../src/services/run/events";
import { container, fakeDocker, fakeStack, testContext, type TestContext } from "../../../helpers/fakes";

let t: TestContext | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  t?.cleanup();
  t = undefined;
});

/** The lines a plain-text run prints for these events (stderr). */
function printed(events: ServiceEvent[]): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation(
    (s: string | Uint8Array) => (lines.push(String(s).trimEnd()), true),
  );
  const printer = new Printer({ json: false, quiet: false, color: false, tty: false });
  for (const e of events) printer.event(e);
  vi.restoreAllMocks();
  return lines;
}

async function run(strategy: StackJob["strategy"]): Promise<{ events: ServiceEvent[]; lines: string[] }> {
  const containers = [container({ name: "app-web-1", project: "app", service: "web" })];
  const tc = (t = testContext({ docker: fakeDocker({ containers }) }));
  const dir = join(tc.stacksDir, "app");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "compose.yaml"), "services: {}\n");
  const events: ServiceEvent[] = [];
  const job: StackJob = {
    stack: fakeStack("app", containers, { dir }),
    runId: 7,
    trigger: "manual",
    strategy,
    twoPass: true,
    parent: undefined,
    signal: new AbortController().signal,
    toolVersions: { restic: "0.19.1" },
  };
  const { outcome } = await backupStack(tc.ctx, job, (e) => events.push(e));
  expect(outcome.status).toBe("succeeded");
  return { events, lines: printed(events) };
}

describe("the pause strategy says pausing, not stopping", () => {
  it("Given STRATEGY=pause, When backed up, Then the output says 'pausing' and 'final pass (stack paused)', never 'stopping' or 'stopped'", async () => {
    const { events, lines } = await run("pause");
    expect(t!.docker.calls).toEqual(["pause app-web-1", "unpause app-web-1"]);
    expect(events.filter((e) => e.type === "phase").map((e) => (e as { phase: string }).phase)).toContain("pausing");
    expect(lines).toContain("  app: pausing (app-web-1)");
    expect(lines).toContain("  app: final pass (stack paused)");
    expect(lines.join("\n")).not.toMatch(/stopping|stopped/);
  });

  it("Given STRATEGY=stop, When backed up, Then it still says 'stopping' and 'final pass (stack stopped)'", async () => {
    const { lines } = await run("stop");
    expect(lines).toContain("  app: stopping (app-web-1)");
    expect(lines).toContain("  app: final pass (stack stopped)");
  });
});
