import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./env";

/**
 * A real S3 server for the tests: Ceph's radosgw on a one-node cluster (monitor, memstore OSD)
 * brought up by scripts/radosgw.sh under a directory of the test's own, on free loopback ports.
 * Object Lock, versioning and delete markers behave as on AWS. Every
 * cluster still running when the test file ends is stopped (stopAllServers in afterAll, and a
 * last resort on process exit).
 */

const SCRIPT = join(ROOT, "scripts", "radosgw.sh");
const clusters = new Set<Radosgw>();

export interface Radosgw {
  /** The cluster's directory (ceph.conf, logs in log/, pid files in run/). */
  dir: string;
  /** http://127.0.0.1:PORT (path-style buckets: ENDPOINT/BUCKET/KEY). */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** The start/stop script's own output. */
  log: string;
  /** Stops radosgw, the OSD and the monitor and waits until they are gone (idempotent). */
  stop(): Promise<void>;
}

function run(args: string[], log: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(log, "a");
    let child: ReturnType<typeof spawn>;
    try {
      // Detached (own session), stdio to the log: the daemons it leaves never hold our output.
      child = spawn("bash", [SCRIPT, ...args], {
        detached: true,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, ...env },
      });
    } finally {
      closeSync(fd);
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone
      }
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`radosgw.sh ${args[0]} failed (${signal ?? `exit ${code}`}):\n${tail(log)}`));
    });
  });
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Starts a one-node Ceph cluster with radosgw under dir (~3 s) and one S3 user. Without keys,
 * radosgw-admin makes fresh ones (no process's argv holds them).
 */
export async function radosgw(o: {
  dir: string;
  workDir: string;
  accessKey?: string;
  secretKey?: string;
}): Promise<Radosgw> {
  mkdirSync(o.dir, { recursive: true });
  mkdirSync(o.workDir, { recursive: true });
  const log = join(o.workDir, "radosgw.log");
  const keys = o.accessKey && o.secretKey ? [o.accessKey, o.secretKey] : [];
  const stop = () => run(["stop", o.dir], log, 60_000);
  try {
    await run(["start", o.dir, ...keys], log, 120_000);
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  const env = Object.fromEntries(
    readFileSync(join(o.dir, "env"), "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const gw: Radosgw = {
    dir: o.dir,
    endpoint: env.ENDPOINT,
    port: Number(new URL(env.ENDPOINT).port),
    accessKey: env.ACCESS_KEY,
    secretKey: env.SECRET_KEY,
    log,
    async stop() {
      await stop();
      clusters.delete(gw);
    },
  };
  clusters.add(gw);
  return gw;
}

/** Stops every cluster this test file started (servers.ts's stopAllServers calls it). */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...clusters].map((c) => c.stop()));
}

process.once("exit", () => {
  for (const c of clusters) {
    try {
      execFileSync("bash", [SCRIPT, "stop", c.dir], { stdio: "ignore", timeout: 60_000 });
    } catch {
      // best effort on the way out
    }
  }
});

/**
 * RCLONE_CONFIG_<NAME>_* for rclone's s3 backend on the server (provider Ceph, path style). The
 * machine's AWS_CA_BUNDLE must not reach rclone's s3 backend (TESTING.md).
 */
export function s3RemoteEnv(name: string, gw: Radosgw): NodeJS.ProcessEnv {
  const p = `RCLONE_CONFIG_${name.toUpperCase()}_`;
  return {
    [`${p}TYPE`]: "s3",
    [`${p}PROVIDER`]: "Ceph",
    [`${p}ENDPOINT`]: gw.endpoint,
    [`${p}ACCESS_KEY_ID`]: gw.accessKey,
    [`${p}SECRET_ACCESS_KEY`]: gw.secretKey,
    AWS_CA_BUNDLE: undefined,
  };
}

/** restic's s3: repository URL for BUCKET/PATH on the server. */
export function s3Repository(gw: Radosgw, bucketAndPath: string): string {
  return `s3:${gw.endpoint}/${bucketAndPath}`;
}

/** The keys for restic's s3: backend; cacheDir (RESTIC_CACHE_DIR) keeps its cache the test's own. */
export function s3ResticEnv(gw: Radosgw, o: { cacheDir?: string } = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: gw.accessKey,
    AWS_SECRET_ACCESS_KEY: gw.secretKey,
    AWS_CA_BUNDLE: undefined,
    ...(o.cacheDir ? { RESTIC_CACHE_DIR: o.cacheDir } : {}),
  };
}

export interface S3Response {
  status: number;
  body: string;
}

/**
 * One signed S3 request (curl's SigV4; the keys reach curl on stdin, not argv). path is
 * "/BUCKET[/KEY][?query]"; sub-resources need a "=" for the signature: "?versions=",
 * "?object-lock=", "?versioning=", "?versionId=ID".
 */
export function s3Request(
  gw: Radosgw,
  method: string,
  path: string,
  o: { body?: string; headers?: Record<string, string> } = {},
): S3Response {
  const headers = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const args = [
    "-sS",
    "-K",
    "-",
    "--aws-sigv4",
    "aws:amz:us-east-1:s3",
    "-H",
    "x-amz-content-sha256: UNSIGNED-PAYLOAD",
    ...headers,
    "-X",
    method,
    "-w",
    "\n%{http_code}",
    ...(o.body === undefined ? [] : ["--data-binary", o.body]),
    `${gw.endpoint}${path}`,
  ];
  const out = execFileSync("curl", args, {
    input: `user = "${gw.accessKey}:${gw.secretKey}"\n`,
    encoding: "utf8",
    env: { ...process.env, AWS_CA_BUNDLE: undefined },
  });
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

function rclone(gw: Radosgw, args: string[]): void {
  execFileSync("rclone", ["--config", "/dev/null", ...args], {
    env: { ...process.env, ...s3RemoteEnv("rgw", gw) },
    stdio: "pipe",
  });
}

/** A plain bucket (versioning off). */
export function s3Bucket(gw: Radosgw, bucket: string): void {
  rclone(gw, ["mkdir", `rgw:${bucket}`]);
}

/**
 * A bucket with Object Lock (so versioning on) and a default retention of `days` days in `mode`
 * (COMPLIANCE unless told): every object written to it is locked, whoever writes it.
 */
export function s3LockedBucket(
  gw: Radosgw,
  bucket: string,
  o: { days: number; mode?: "COMPLIANCE" | "GOVERNANCE" },
): void {
  rclone(gw, ["mkdir", "--s3-bucket-object-lock-enabled", `rgw:${bucket}`]);
  const config =
    '<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    "<ObjectLockEnabled>Enabled</ObjectLockEnabled>" +
    `<Rule><DefaultRetention><Mode>${o.mode ?? "COMPLIANCE"}</Mode><Days>${o.days}</Days></DefaultRetention></Rule>` +
    "</ObjectLockConfiguration>";
  const put = s3Request(gw, "PUT", `/${bucket}?object-lock=`, { body: config });
  if (put.status !== 200) throw new Error(`put-object-lock-configuration on ${bucket}: ${put.status} ${put.body}`);
}

export interface S3Version {
  key: string;
  versionId: string;
  /** A delete marker rather than an object's data. */
  deleteMarker: boolean;
  isLatest: boolean;
  size: number;
}

/** Every version and delete marker in the bucket (ListObjectVersions, up to 1000 entries). */
export function s3Versions(gw: Radosgw, bucket: string, prefix = ""): S3Version[] {
  const r = s3Request(gw, "GET", `/${bucket}?prefix=${encodeURIComponent(prefix)}&versions=`);
  if (r.status !== 200) throw new Error(`list versions of ${bucket}: ${r.status} ${r.body}`);
  const field = (xml: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1] ?? "";
  return [...r.body.matchAll(/<(Version|DeleteMarker)>(.*?)<\/\1>/g)].map((m) => ({
    key: field(m[2], "Key"),
    versionId: field(m[2], "VersionId"),
    deleteMarker: m[1] === "DeleteMarker",
    isLatest: field(m[2], "IsLatest") === "true",
    size: Number(field(m[2], "Size") || 0),
  }));
}
