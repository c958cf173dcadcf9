import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUR } from "../../../../src/docker/labels";
import { dumpSpecs, hostPath, runDumps } from "../../../../src/services/dumps/dump";
import type { ServiceContext } from "../../../../src/services/run/context";
import { container, fakeStack } from "../../../helpers/fakes";

// Issue 17 item 13: backup-tui.dump.path is read on the host through the container's mounts.
// "/data/../../secret.db" (or a symlink in the volume) must not reach a host file outside the
// volume: the path is normalised as the container sees it, symlinks resolved, and the result
// must stay inside the mount's source.

describe("sqlite dump label paths stay inside the container's mounts", () => {
  let root: string;
  let volume: string;
  let out: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "dump-escape-"));
    volume = join(root, "volumes", "app_data", "_data");
    out = join(root, "dumps");
    mkdirSync(volume, { recursive: true });
    // A database outside the volume: another stack's, or any file of the host's.
    for (const file of [join(root, "secret.db"), join(volume, "app.db")]) {
      const db = new DatabaseSync(file);
      db.exec("create table t (x text); insert into t values ('x')");
      db.close();
    }
    symlinkSync(join(root, "secret.db"), join(volume, "link.db"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const ctx = {} as ServiceContext; // sqlite dumps read the file on the host: no runner, no docker
  const specFor = (path: string) => {
    const c = container({
      name: "app-web-1",
      service: "web",
      labels: { [OUR.dump]: "sqlite", [`${OUR.dump}.path`]: path },
      mounts: [{ type: "volume", name: "app_data", source: volume, destination: "/data", rw: true }],
    });
    return dumpSpecs(fakeStack("app", [c]));
  };

  it("Given a label path that climbs out of the volume with .., When the stack's dumps run, Then the dump fails naming the label and no copy of the outside file is made", async () => {
    const escape = `/data/${"../".repeat(4)}${root.slice(1)}/secret.db`;

    await expect(runDumps(ctx, specFor(escape), out)).rejects.toThrow(
      /backup-tui\.dump\.path=".*secret\.db" is not inside a volume or bind mount of the container/,
    );
    expect(existsSync(join(out, "web.sqlite"))).toBe(false);
  });

  it("Given a label path through a symlink in the volume to a host file, When the dumps run, Then it is refused as resolving outside the mount", async () => {
    await expect(runDumps(ctx, specFor("/data/link.db"), out)).rejects.toThrow(
      /resolves to .*secret\.db on the host, outside the mount \/data/,
    );
    expect(existsSync(join(out, "web.sqlite"))).toBe(false);
  });

  it("Given a path inside the volume (even spelled with ..), When the dumps run, Then the database in the volume is dumped", async () => {
    const [rec] = await runDumps(ctx, specFor("/data/sub/../app.db"), out);

    expect(rec.file).toBe(join(out, "web.sqlite"));
    expect(rec.bytes).toBeGreaterThan(0);
  });

  it("Given paths, When mapped to the host, Then .. is resolved as in the container before the mount is picked", () => {
    const c = container({
      name: "x",
      mounts: [{ type: "volume", name: "v", source: volume, destination: "/data", rw: true }],
    });

    expect(hostPath(c, "/data/../etc/shadow")).toBeUndefined();
    expect(hostPath(c, "/data/a/../b.db")?.path).toBe(join(volume, "b.db"));
    expect(hostPath(c, "/database.db")).toBeUndefined();
    expect(hostPath(c, "/data/x\n.db")).toBeUndefined();
  });
});
