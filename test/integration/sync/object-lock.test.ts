import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  radosgw,
  s3Bucket,
  s3LockedBucket,
  s3RemoteEnv,
  s3Request,
  s3Versions,
  stopAllServers,
  type Radosgw,
} from "../../helpers/servers";

// The test S3 server (Ceph radosgw) really enforces Object Lock: in a bucket with a default
// COMPLIANCE retention, what rclone uploads cannot be removed by rclone or by a direct S3 call
// until the retention ends. A plain bucket beside it shows the same calls do delete there, so
// each refusal comes from the lock. The append-only sync mode relies on exactly this.

const LOCKED = "locked-mirror";
const PLAIN = "plain-mirror";
const FILES = { "data/00/pack-a": "pack a\n", "data/01/pack-b": "pack b\n", config: "the repository config\n" };

describe("Object Lock on the real S3 server (radosgw)", () => {
  let dir: string;
  let gw: Radosgw;
  let src: string;
  const env = () => ({ ...process.env, ...s3RemoteEnv("lock", gw) });
  const rclone = (args: string[]) =>
    spawnSync("rclone", ["--config", "/dev/null", "--retries", "1", ...args], { env: env(), encoding: "utf8" });
  const rcloneOk = (args: string[]) =>
    execFileSync("rclone", ["--config", "/dev/null", ...args], { env: env(), encoding: "utf8", stdio: "pipe" });
  const lsf = (path: string, extra: string[] = []) =>
    rcloneOk(["lsf", "-R", "--files-only", ...extra, `lock:${path}`])
      .split("\n")
      .filter(Boolean)
      .sort();
  /** The data versions (not delete markers) of the bucket, as key@versionId. */
  const dataVersions = (bucket: string) =>
    s3Versions(gw, bucket)
      .filter((v) => !v.deleteMarker)
      .map((v) => `${v.key}@${v.versionId}`)
      .sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "btui-lock-"));
    gw = await radosgw({ dir: join(dir, "rgw"), workDir: join(dir, "servers") });
    s3LockedBucket(gw, LOCKED, { days: 1 });
    s3Bucket(gw, PLAIN);
    src = join(dir, "src");
    for (const [name, text] of Object.entries(FILES)) {
      mkdirSync(join(src, name, ".."), { recursive: true });
      writeFileSync(join(src, name), text);
    }
  });
  afterAll(async () => {
    await stopAllServers();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the bucket has Object Lock with the default COMPLIANCE retention, and every object rclone uploads carries it", () => {
    const conf = s3Request(gw, "GET", `/${LOCKED}?object-lock=`);
    expect(conf.status).toBe(200);
    expect(conf.body).toMatch(/<Mode>COMPLIANCE<\/Mode><Days>1<\/Days>/);
    const versioning = s3Request(gw, "GET", `/${LOCKED}?versioning=`);
    expect(versioning.body).toContain("<Status>Enabled</Status>");

    const t0 = Date.now();
    rcloneOk(["copy", src, `lock:${LOCKED}`]);
    rcloneOk(["copy", src, `lock:${PLAIN}`]);
    expect(lsf(LOCKED)).toEqual(Object.keys(FILES).sort());
    for (const key of Object.keys(FILES)) {
      const r = s3Request(gw, "GET", `/${LOCKED}/${key}?retention=`);
      expect(r.status, r.body).toBe(200);
      expect(r.body).toContain("<Mode>COMPLIANCE</Mode>");
      const until = Date.parse(/<RetainUntilDate>([^<]+)</.exec(r.body)![1]);
      expect(until - t0).toBeGreaterThan(23 * 3600_000);
      expect(until - t0).toBeLessThan(25 * 3600_000);
    }
    // The plain bucket has no lock at all.
    expect(s3Request(gw, "GET", `/${PLAIN}/config?retention=`).status).not.toBe(200);
  });

  it("rclone delete only adds delete markers: the files vanish from a plain listing, yet every version stays listable and readable", async () => {
    const before = dataVersions(LOCKED);
    expect(before).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 1100));
    const beforeDelete = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));

    const del = rclone(["delete", `lock:${LOCKED}`]);
    expect(del.status, del.stderr).toBe(0);
    expect(lsf(LOCKED)).toEqual([]);
    // The delete markers are the latest versions now; the data versions are all still there.
    const versions = s3Versions(gw, LOCKED);
    expect(versions.filter((v) => v.deleteMarker && v.isLatest).map((v) => v.key)).toEqual(
      expect.arrayContaining(Object.keys(FILES)),
    );
    expect(dataVersions(LOCKED)).toEqual(before);
    // rclone sees them with --s3-versions (names with a -vDATE suffix) and reads them back with --s3-version-at.
    const listed = lsf(LOCKED, ["--s3-versions"]);
    expect(listed).toHaveLength(3);
    expect(listed.every((n) => /-v\d{4}-\d\d-\d\d-\d{6}-\d{3}/.test(n))).toBe(true);
    for (const [key, text] of Object.entries(FILES))
      expect(rcloneOk(["cat", "--s3-version-at", beforeDelete, `lock:${LOCKED}/${key}`])).toBe(text);

    // Beside it, the same delete in the plain bucket removes the data for good.
    expect(rclone(["delete", `lock:${PLAIN}`]).status).toBe(0);
    expect(lsf(PLAIN)).toEqual([]);
    expect(lsf(PLAIN, ["--s3-versions"])).toEqual([]);
  });

  it("rclone purge fails: deleting a locked version is refused with 403, and every data version stays", () => {
    const before = dataVersions(LOCKED);
    const purge = rclone(["purge", `lock:${LOCKED}`]);
    expect(purge.status).not.toBe(0);
    expect(purge.stderr).toContain("StatusCode: 403");
    expect(purge.stderr).toContain("forbidden by object lock");
    expect(dataVersions(LOCKED)).toEqual(before);
    for (const [key, text] of Object.entries(FILES))
      expect(rcloneOk(["cat", "--s3-version-at", new Date().toISOString(), `lock:${LOCKED}/${key}`])).toBe(text);
  });

  it("a DELETE of one locked version is refused (403), also with the governance bypass header", () => {
    const version = s3Versions(gw, LOCKED).find((v) => !v.deleteMarker && v.key === "config")!;
    const path = `/${LOCKED}/config?versionId=${encodeURIComponent(version.versionId)}`;
    const plain = s3Request(gw, "DELETE", path);
    expect(plain.status).toBe(403);
    expect(plain.body).toContain("<Code>AccessDenied</Code>");
    const bypass = s3Request(gw, "DELETE", path, { headers: { "x-amz-bypass-governance-retention": "true" } });
    expect(bypass.status).toBe(403);
    expect(s3Request(gw, "GET", path).body).toBe(FILES.config);

    // In the plain bucket a versioned DELETE of an object succeeds (the request itself is fine).
    rcloneOk(["copy", src, `lock:${PLAIN}`]);
    const plainVersion = s3Versions(gw, PLAIN).find((v) => v.key === "config")!;
    const ok = s3Request(gw, "DELETE", `/${PLAIN}/config?versionId=${encodeURIComponent(plainVersion.versionId)}`);
    expect(ok.status).toBe(204);
    expect(s3Versions(gw, PLAIN).map((v) => v.key)).not.toContain("config");
  });

  it("the retention of a COMPLIANCE version cannot be shortened", () => {
    const version = s3Versions(gw, LOCKED).find((v) => !v.deleteMarker && v.key === "config")!;
    const soon = new Date(Date.now() + 60_000).toISOString();
    const r = s3Request(gw, "PUT", `/${LOCKED}/config?retention=&versionId=${encodeURIComponent(version.versionId)}`, {
      body: `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>COMPLIANCE</Mode><RetainUntilDate>${soon}</RetainUntilDate></Retention>`,
    });
    expect(r.status).toBe(403);
    const after = s3Request(
      gw,
      "GET",
      `/${LOCKED}/config?retention=&versionId=${encodeURIComponent(version.versionId)}`,
    );
    expect(Date.parse(/<RetainUntilDate>([^<]+)</.exec(after.body)![1]) - Date.now()).toBeGreaterThan(23 * 3600_000);
  });

  it("suspending versioning on the locked bucket is refused (409) and versioning stays enabled", () => {
    const r = s3Request(gw, "PUT", `/${LOCKED}?versioning=`, {
      body: '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status></VersioningConfiguration>',
    });
    expect(r.status).toBe(409);
    expect(r.body).toContain("InvalidBucketState");
    expect(s3Request(gw, "GET", `/${LOCKED}?versioning=`).body).toContain("<Status>Enabled</Status>");
    // The plain bucket's versioning can be switched (the request itself is fine).
    const plain = s3Request(gw, "PUT", `/${PLAIN}?versioning=`, {
      body: '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status></VersioningConfiguration>',
    });
    expect(plain.status).toBe(200);
  });
});
