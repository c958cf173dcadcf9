import { appendFileSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import {
  radosgw,
  rcloneServe,
  remoteEnv,
  s3Bucket,
  s3LockedBucket,
  s3RemoteEnv,
  s3Versions,
  stopAllServers,
  type Radosgw,
  type RcloneServer,
} from "../../helpers/servers";

// `doctor` says per target whether this host can destroy the copy, on real servers: an
// append-only REST server and a plain one, a bucket with COMPLIANCE default retention and a plain
// one, a path on this host. The probe never touches a repository file: the REST repositories'
// files stay byte-identical; the rclone canaries live beside the copy (PATH.probe/).

interface CopyCheck {
  name: string;
  status: string;
  detail: string;
  hint?: string;
  data: { verdict: string };
}

describe("doctor's immutability probe", () => {
  let w: TestWorld;
  let gw: Radosgw;
  let appendRest: RcloneServer;
  let plainRest: RcloneServer;
  let env: NodeJS.ProcessEnv;
  let local: string;

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    const servers = join(w.dir, "servers");
    gw = await radosgw({ dir: join(w.dir, "rgw"), workDir: servers });
    s3LockedBucket(gw, "locked", { days: 1 });
    s3Bucket(gw, "plain");
    appendRest = await rcloneServe("restic", { dir: join(w.dir, "rest-a"), workDir: servers, appendOnly: true });
    plainRest = await rcloneServe("restic", { dir: join(w.dir, "rest-p"), workDir: servers });
    const pw = join(w.dir, "target-pw");
    writeFileSync(pw, "target-password-1\n", { mode: 0o600 });
    local = join(w.dir, "local-copy");
    const rest = (s: RcloneServer) => `rest:http://127.0.0.1:${s.port}/h1`;
    appendFileSync(
      w.configFile,
      [
        "[cloud_sync]",
        "RCLONE_REMOTE=s3",
        "RCLONE_PATH=plain/h1",
        "[cloud_sync:locked]",
        "MODE=append",
        "RCLONE_REMOTE=s3",
        "RCLONE_PATH=locked/h1",
        "[cloud_sync:here]",
        "RCLONE_REMOTE=localr",
        `RCLONE_PATH=${local}`,
        "[cloud_sync:vault]",
        "MODE=restic",
        `RESTIC_REPOSITORY=${rest(appendRest)}`,
        `RESTIC_PASSWORD_FILE=${pw}`,
        "[cloud_sync:open]",
        "MODE=restic",
        `RESTIC_REPOSITORY=${rest(plainRest)}`,
        `RESTIC_PASSWORD_FILE=${pw}`,
        "",
      ].join("\n"),
    );
    env = { ...s3RemoteEnv("s3", gw), ...remoteEnv("localr", "local") };
    restic(w, ["init", "-q"]);
    // Both REST repositories exist (restic init through each server; append-only allows it).
    for (const s of [appendRest, plainRest]) restic(w, ["init", "-q", "--repo", rest(s), "--password-file", pw]);
  }, 180_000);
  afterAll(async () => {
    await stopAllServers();
    w?.cleanup();
  });

  it("names each copy protected or ERASABLE from this host, with the fix, and touches no repository file", () => {
    const repoFiles = [treeDigest(appendRest.dir), treeDigest(plainRest.dir)];
    expect(cli(w, ["status"], env).stdout).toContain("not probed: run doctor");
    const r = cli(w, ["doctor", "--json"], env);
    const out = JSON.parse(r.stdout) as { checks: CopyCheck[] };
    const copies = Object.fromEntries(
      out.checks.filter((c) => c.name.startsWith("copy ")).map((c) => [c.name.slice(5), c]),
    );
    expect(Object.keys(copies).sort()).toEqual(["default", "here", "locked", "open", "vault"]);
    const verdicts = Object.fromEntries(Object.entries(copies).map(([k, c]) => [k, c.data.verdict]));
    expect(verdicts, JSON.stringify(copies, null, 1)).toEqual({
      default: "erasable",
      here: "erasable",
      locked: "protected",
      open: "erasable",
      vault: "protected",
    });
    expect(copies.vault.status).toBe("ok");
    expect(copies.locked.status).toBe("ok");
    expect(copies.default.status).toBe("warn");
    expect(copies.default.detail).toContain("ERASABLE from this host");
    expect(copies.default.hint).toMatch(/MODE=mirror needs delete rights/);
    expect(copies.open.hint).toMatch(/append-only/);
    // Nothing of a repository was touched; no secret in the report.
    expect([treeDigest(appendRest.dir), treeDigest(plainRest.dir)]).toEqual(repoFiles);
    expect(r.stdout + r.stderr).not.toContain("target-password-1");
    // The canaries lived beside the copies: deleted where this host can, versions kept under the lock.
    expect(existsSync(local)).toBe(false);
    expect(readdirSync(`${local}.probe`)).toEqual([]);
    const locked = s3Versions(gw, "locked");
    expect(locked.length).toBeGreaterThan(0);
    expect(locked.every((v) => v.key.startsWith("h1.probe/canary-"))).toBe(true);
    expect(s3Versions(gw, "plain").filter((v) => !v.deleteMarker)).toEqual([]);

    const text = cli(w, ["doctor"], env);
    expect(text.stdout).toMatch(/WARN\s+copy default\s+s3:plain\/h1: ERASABLE from this host/);
    expect(text.stdout).toMatch(/OK\s+copy vault\s+rest:http:\/\/127\.0\.0\.1:\d+\/h1: protected/);
    // status shows the verdicts doctor kept.
    const st = cli(w, ["status"], env).stdout;
    expect(st).toContain("THIS HOST CAN ERASE IT");
    expect(st).toMatch(/^default\s.*YES \(doctor, /m);
    expect(st).toMatch(/^vault\s.*no \(doctor, /m);
    const skipped = cli(w, ["doctor", "--no-probe", "--json"], env);
    expect((JSON.parse(skipped.stdout) as { checks: CopyCheck[] }).checks.some((c) => c.name.startsWith("copy "))).toBe(
      false,
    );
  });
});
