import { describe, expect, it } from "vitest";
import type { Config } from "../../../../src/config/types";
import type { Snapshot } from "../../../../src/restic/json";
import { checkFleet, type FleetCheckDeps } from "../../../../src/services/doctor/fleet-check";
import { STATUS_FORMAT, STATUS_TAG, type StatusDocument } from "../../../../src/services/fleet/document";
import { memoryFleetCache } from "../../../../src/services/fleet/read";
import { testConfig } from "../../../helpers/fakes";

const H = 3600_000;
const NOW = Date.parse("2026-12-05T12:00:00Z");
const at = (ms: number) => new Date(NOW + ms).toISOString();

interface Published {
  host: string;
  ago: number;
  machine?: string;
  pruneHost?: string;
  /** Publishes again within this long (absent: nothing scheduled). */
  within?: number;
}

/** A repository of status snapshots: `restic snapshots` and `restic dump` answered from the list. */
function repo(list: Published[], o: { fail?: boolean } = {}): FleetCheckDeps["restic"] {
  const snaps = list.map(
    (p, i): Snapshot =>
      ({
        id: `${p.host}-${i}`.padEnd(64, "0"),
        time: at(-p.ago),
        hostname: p.host,
        tags: [STATUS_TAG],
        paths: [],
      }) as unknown as Snapshot,
  );
  return {
    async snapshots(q = {}) {
      if (o.fail) throw new Error("repository unreachable");
      return snaps.filter((s) => !q.host || s.hostname === q.host);
    },
    async dump(id) {
      const p = list[snaps.findIndex((s) => s.id === id)];
      const doc: StatusDocument = {
        format: STATUS_FORMAT,
        host: p.host,
        publishedAt: at(-p.ago),
        version: "1.0.0",
        machine: p.machine,
        pruneHost: p.pruneHost,
        publishWithinMs: p.within,
        stacks: [],
        warnings: 0,
      };
      return JSON.stringify(doc);
    },
  };
}

function config(host: string, pruneHost = "h1"): Config {
  const c = testConfig("/tmp/unused-state");
  return { ...c, hostname: host, fleet: { ...c.fleet, pruneHost } };
}

const check = (host: string, list: Published[], machine = "m-self", o: { fail?: boolean } = {}) =>
  checkFleet(config(host), {
    restic: repo(list, o),
    store: { fleet: memoryFleetCache() },
    machine,
    now: new Date(NOW),
  });

describe("doctor: the fleet of a shared repository", () => {
  it("every host names the same PRUNE_HOST and it publishes in time: ok, with who prunes", async () => {
    const c = await check("h2", [
      { host: "h1", ago: H, pruneHost: "h1", within: 48 * H, machine: "m1" },
      { host: "h2", ago: H, pruneHost: "h1", machine: "m-self" },
    ]);
    expect(c.status).toBe("ok");
    expect(c.detail).toBe("2 host(s) publish into the repository (h1, h2); h1 prunes");
  });

  it("a host naming another PRUNE_HOST fails: two hosts would prune, or none", async () => {
    const c = await check("h1", [
      { host: "h1", ago: H, pruneHost: "h1", machine: "m-self" },
      { host: "h3", ago: H, pruneHost: "h9" },
    ]);
    expect(c.status).toBe("fail");
    expect(c.detail).toContain("h3 names PRUNE_HOST h9, this host h1");
    expect(c.hint).toContain("same [local_backup] PRUNE_HOST on every host");
  });

  it("a PRUNE_HOST that never published, or went silent, is a warning that says nobody prunes", async () => {
    const never = await check("h2", [{ host: "h2", ago: H, machine: "m-self" }]);
    expect(never.status).toBe("warn");
    expect(never.detail).toContain("PRUNE_HOST h1 has never published its status (hosts that have: h2)");
    const silent = await check("h2", [
      { host: "h1", ago: 72 * H, within: 48 * H, machine: "m1" },
      { host: "h2", ago: H, machine: "m-self" },
    ]);
    expect(silent.status).toBe("warn");
    expect(silent.detail).toContain("PRUNE_HOST h1 last published 3 d ago, past its window");
  });

  it("two machines publishing under one name fail; a machine that took the name over is no alarm", async () => {
    const pruner = { host: "h1", ago: H, within: 48 * H, machine: "m1" };
    const twins = await check("h2", [
      pruner,
      { host: "h2", ago: 5 * H, machine: "m-self" },
      { host: "h2", ago: 3 * H, machine: "m-other" },
      { host: "h2", ago: 2 * H, machine: "m-self" },
    ]);
    expect(twins.status).toBe("fail");
    expect(twins.detail).toContain("another machine publishes as h2 too (last 3 h ago)");
    const replaced = await check("h2", [
      pruner,
      { host: "h2", ago: 50 * H, machine: "m-old" },
      { host: "h2", ago: 2 * H, machine: "m-self" },
    ]);
    expect(replaced.status).toBe("ok");
    // This machine has not published yet, another has under its name: said, not failed.
    const notYet = await check("h2", [pruner, { host: "h2", ago: 2 * H, machine: "m-old" }], undefined);
    expect(notYet.status).toBe("warn");
    expect(notYet.detail).toContain("h2 was published by another machine (last 2 h ago) and never by this one");
  });

  it("a repository that cannot be read is a warning naming why, not a crash", async () => {
    const c = await check("h2", [], "m-self", { fail: true });
    expect(c).toMatchObject({ name: "fleet", status: "warn" });
    expect(c.detail).toContain("repository unreachable");
  });
});
