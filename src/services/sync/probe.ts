import { randomBytes } from "node:crypto";
import { isAbsolute } from "node:path";
import { targetWhere, type SyncTarget } from "../../config/targets";
import { errorMessage } from "../../errors";
import type { Rclone } from "../../rclone/rclone";

// The immutability probe: can THIS host, with its own credentials, destroy a copy? It never
// touches a repository file. An rclone copy gets a canary object beside it (PATH.probe/, as
// KEEP_DELETED_DAYS keeps PATH.deleted/), written, overwritten and deleted; a versioned bucket is
// then asked whether the old versions survive. A REST restic target is asked to delete a
// snapshot that does not exist: append-only servers refuse every delete but of locks (403).

/** erasable: this host can delete (and so destroy) the copy; partly: it can overwrite, not delete. */
export type ProbeVerdict = "protected" | "erasable" | "partly" | "unknown";

export interface ProbeResult {
  target: string;
  where: string;
  verdict: ProbeVerdict;
  detail: string;
  hint?: string;
}

export interface ProbeDeps {
  rclone: Pick<Rclone, "rcat" | "cat" | "deleteFile" | "isFile" | "lsfVersions" | "cleanupHidden">;
  /** An HTTP DELETE of url with these headers: its status code (thrown: no answer). */
  httpDelete: (url: string, headers: Record<string, string>, signal?: AbortSignal) => Promise<number>;
  signal?: AbortSignal;
}

const FIX_RCLONE =
  "Give this host a key that cannot delete (a B2 application key without deleteFiles, an S3 policy without s3:DeleteObject and s3:DeleteObjectVersion) with MODE=append, or a bucket with Object Lock default retention; see docs/THREAT-MODEL.md.";
const FIX_REST =
  "Run the REST server append-only (rest-server --append-only, rclone serve restic --append-only), so this host can add snapshots but never remove them; see docs/THREAT-MODEL.md.";

export async function probeTarget(t: SyncTarget, d: ProbeDeps): Promise<ProbeResult> {
  const base = { target: t.name, where: targetWhere(t) };
  try {
    return { ...base, ...(t.mode === "restic" ? await probeRestic(t, d) : await probeRclone(t, d)) };
  } catch (err) {
    return { ...base, verdict: "unknown", detail: `the probe could not run: ${errorMessage(err)}` };
  }
}

type Finding = Omit<ProbeResult, "target" | "where">;

async function probeRestic(t: SyncTarget, d: ProbeDeps): Promise<Finding> {
  const repo = t.repository ?? "";
  if (repo.startsWith("rest:")) return probeRest(repo.slice("rest:".length), d);
  if (isAbsolute(repo) || repo.startsWith("local:"))
    return {
      verdict: "erasable",
      detail: "a repository on this host's own file system: whoever holds this host can delete it",
      hint: "Keep the second copy off this host: an append-only REST server, or a bucket this host cannot delete from.",
    };
  return {
    verdict: "unknown",
    detail: `not probed: a ${repo.split(":")[0]}: repository (only rest: repositories and rclone copies are probed)`,
    hint: "Check by hand that this host's credentials cannot delete there (a delete-less key, Object Lock, an append-only server).",
  };
}

/** DELETE of a snapshot id no snapshot has (64 random hex digits): nothing real can be removed. */
async function probeRest(url: string, d: ProbeDeps): Promise<Finding> {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    u.username = "";
    u.password = "";
  }
  const target = `${u.toString().replace(/\/+$/, "")}/snapshots/${randomBytes(32).toString("hex")}`;
  const status = await d.httpDelete(target, headers, d.signal);
  if (status === 403)
    return {
      verdict: "protected",
      detail: "the server refused to delete a snapshot (append-only): this host can add, never remove",
    };
  if (status === 401)
    return {
      verdict: "unknown",
      detail: "the server refused this host's credentials (401)",
      hint: "Check the user and password in RESTIC_REPOSITORY.",
    };
  if ((status >= 200 && status < 300) || status === 404)
    return {
      verdict: "erasable",
      detail: `the server accepts deletes from this host (HTTP ${status} for a snapshot that does not exist): restic forget --prune from here removes the copy`,
      hint: FIX_REST,
    };
  return { verdict: "unknown", detail: `the server answered a delete with HTTP ${status}` };
}

async function probeRclone(t: SyncTarget, d: ProbeDeps): Promise<Finding> {
  const dir = `${t.remote}:${(t.path ?? "").replace(/\/+$/, "")}.probe`;
  const name = `canary-${randomBytes(6).toString("hex")}`;
  const file = `${dir}/${name}`;
  const o = { signal: d.signal, timeoutMs: 60_000 };
  try {
    await d.rclone.rcat(file, "backup-tui immutability probe: first\n", o);
  } catch (err) {
    return {
      verdict: "unknown",
      detail: `could not write a canary at ${file}: ${errorMessage(err)}`,
      hint: "The probe writes beside the copy (PATH.probe/); give this host write access there, or run doctor --no-probe.",
    };
  }
  const second = "backup-tui immutability probe: second\n";
  const overwritten = await d.rclone.rcat(file, second, o).then(
    async () => (await d.rclone.cat(file, o)) === second,
    () => false,
  );
  const deleted = await d.rclone.deleteFile(file, o).then(
    async () => !(await d.rclone.isFile(file, o)),
    () => false,
  );
  // A versioned bucket hides instead of deleting: do the old versions survive this host's attempt to remove them?
  const versionsOf = async () =>
    (await d.rclone.lsfVersions(dir, o).catch(() => [] as string[])).filter((n) => n.startsWith(`${name}-v`));
  let versionsSurvive = false;
  if ((overwritten || deleted) && (await versionsOf()).length) {
    await d.rclone.cleanupHidden(dir, o).catch(() => undefined);
    versionsSurvive = (await versionsOf()).length > 0;
  }
  const left = deleted ? "" : ` (the canary stays at ${file}: this host cannot delete it)`;
  if (versionsSurvive)
    return {
      verdict: "protected",
      detail: `deletes and overwrites only hide a version; this host could not remove the old versions (Object Lock retention or a key without DeleteObjectVersion)${left}`,
    };
  if (deleted)
    return {
      verdict: "erasable",
      detail: `this host can delete${overwritten ? " and overwrite" : ""} files there: rclone purge from here destroys the copy`,
      hint: t.mode === "mirror" ? `${FIX_RCLONE} (MODE=mirror needs delete rights; MODE=append does not.)` : FIX_RCLONE,
    };
  if (overwritten)
    return {
      verdict: "partly",
      detail: `this host cannot delete there but can overwrite a file: a pack could be replaced with garbage${left}`,
      hint: "Use a key without overwrite rights, or a bucket with versioning and Object Lock, so a rewrite keeps the old version.",
    };
  return { verdict: "protected", detail: `this host can write new files but neither overwrite nor delete one${left}` };
}
