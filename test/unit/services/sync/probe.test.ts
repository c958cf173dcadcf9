import { describe, expect, it } from "vitest";
import type { SyncTarget } from "../../../../src/config/targets";
import { probeTarget, type ProbeDeps } from "../../../../src/services/sync/probe";

const rcloneTarget = (mode: "mirror" | "append" = "mirror"): SyncTarget => ({
  name: "cloud",
  section: "cloud_sync",
  mode,
  remote: "b2",
  path: "bucket/host1/",
  transfers: 4,
  keepDeletedDays: 0,
  maxDeletePercent: 50,
});
const restTarget = (repository: string): SyncTarget => ({ ...rcloneTarget(), mode: "restic", repository });

/** A remote in memory: files, the old versions a versioned bucket keeps, and what the key may do. */
function fakeRemote(may: { overwrite: boolean; delete: boolean; versioned?: boolean; cleanup?: boolean }) {
  const files = new Map<string, string>();
  const versions: string[] = [];
  const calls: string[] = [];
  const refuse = () => Promise.reject(new Error("403 AccessDenied"));
  const rclone: ProbeDeps["rclone"] = {
    async rcat(path, content) {
      calls.push(`rcat ${path}`);
      if (files.has(path)) {
        if (!may.overwrite && !may.versioned) return refuse();
        if (may.versioned) versions.push(`${path.split("/").pop()}-v1`);
      }
      files.set(path, content);
    },
    async cat(path) {
      return files.get(path);
    },
    async deleteFile(path) {
      calls.push(`deletefile ${path}`);
      if (!may.delete && !may.versioned) return refuse();
      if (may.versioned) versions.push(`${path.split("/").pop()}-v2`);
      files.delete(path);
    },
    async isFile(path) {
      return files.has(path);
    },
    async lsfVersions() {
      return [...versions];
    },
    async cleanupHidden() {
      if (!may.cleanup) return refuse();
      versions.length = 0;
    },
  };
  return { rclone, files, calls };
}

const noHttp = async (): Promise<number> => {
  throw new Error("no HTTP expected");
};

describe("immutability probe", () => {
  it("Given a key that may delete, When probed, Then the copy is erasable, the canary sits beside the copy and is gone", async () => {
    const r = fakeRemote({ overwrite: true, delete: true });
    const res = await probeTarget(rcloneTarget(), { rclone: r.rclone, httpDelete: noHttp });
    expect(res.verdict).toBe("erasable");
    expect(res.hint).toMatch(/MODE=mirror needs delete rights/);
    expect(r.calls.every((c) => / b2:bucket\/host1\.probe\/canary-[0-9a-f]{12}$/.test(c))).toBe(true);
    expect(r.files.size).toBe(0);
  });

  it("Given a delete-less key, When probed, Then protected, and the canary left behind is named", async () => {
    const r = fakeRemote({ overwrite: false, delete: false });
    const res = await probeTarget(rcloneTarget("append"), { rclone: r.rclone, httpDelete: noHttp });
    expect(res.verdict).toBe("protected");
    expect(res.detail).toMatch(/the canary stays at b2:bucket\/host1\.probe\/canary-/);
  });

  it("Given a key that may overwrite but not delete, When probed, Then partly", async () => {
    const r = fakeRemote({ overwrite: true, delete: false });
    expect((await probeTarget(rcloneTarget("append"), { rclone: r.rclone, httpDelete: noHttp })).verdict).toBe(
      "partly",
    );
  });

  it("Given a versioned bucket, When the old versions cannot be removed (Object Lock), Then protected; when they can, erasable", async () => {
    const locked = fakeRemote({ overwrite: true, delete: true, versioned: true, cleanup: false });
    expect((await probeTarget(rcloneTarget("append"), { rclone: locked.rclone, httpDelete: noHttp })).verdict).toBe(
      "protected",
    );
    const open = fakeRemote({ overwrite: true, delete: true, versioned: true, cleanup: true });
    expect((await probeTarget(rcloneTarget("append"), { rclone: open.rclone, httpDelete: noHttp })).verdict).toBe(
      "erasable",
    );
  });

  it("Given a canary that cannot be written, When probed, Then unknown with the reason", async () => {
    const r = fakeRemote({ overwrite: false, delete: false });
    r.rclone.rcat = () => Promise.reject(new Error("permission denied"));
    const res = await probeTarget(rcloneTarget(), { rclone: r.rclone, httpDelete: noHttp });
    expect(res.verdict).toBe("unknown");
    expect(res.detail).toMatch(/could not write a canary.*permission denied/);
  });

  it("Given a REST target, When probed, Then one DELETE of a snapshot that does not exist, credentials in the header only; 403 protected, 404 erasable, 401 unknown", async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const answering = (status: number) => async (url: string, headers: Record<string, string>) => {
      seen.push({ url, headers });
      return status;
    };
    const t = restTarget("rest:https://backup:s3cr%40t@vault.example:8000/host1/");
    const fake = fakeRemote({ overwrite: true, delete: true });
    const verdict = async (status: number) =>
      (await probeTarget(t, { rclone: fake.rclone, httpDelete: answering(status) })).verdict;
    expect(await verdict(403)).toBe("protected");
    expect(await verdict(404)).toBe("erasable");
    expect(await verdict(204)).toBe("erasable");
    expect(await verdict(401)).toBe("unknown");
    expect(seen[0].url).toMatch(/^https:\/\/vault\.example:8000\/host1\/snapshots\/[0-9a-f]{64}$/);
    expect(seen[0].headers.authorization).toBe(`Basic ${Buffer.from("backup:s3cr@t").toString("base64")}`);
    expect(fake.calls).toEqual([]);
    const res = await probeTarget(t, { rclone: fake.rclone, httpDelete: answering(404) });
    expect(res.where).not.toContain("s3cr");
  });

  it("Given a restic target on this host's disk or another backend, When probed, Then erasable or unknown without a request; a dead server is unknown", async () => {
    const fake = fakeRemote({ overwrite: true, delete: true });
    const d = { rclone: fake.rclone, httpDelete: noHttp };
    expect((await probeTarget(restTarget("/srv/second-repo"), d)).verdict).toBe("erasable");
    expect((await probeTarget(restTarget("s3:s3.example/bucket"), d)).detail).toMatch(/not probed: a s3: repository/);
    const dead = await probeTarget(restTarget("rest:http://127.0.0.1:9/x"), {
      ...d,
      httpDelete: () => Promise.reject(new Error("no answer from 127.0.0.1:9: ECONNREFUSED")),
    });
    expect(dead.verdict).toBe("unknown");
    expect(dead.detail).toMatch(/ECONNREFUSED/);
  });
});
