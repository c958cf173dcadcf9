import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, cliAsync, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";
import { composeDown, composeUp, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";
import { webhook, type Webhook } from "../../helpers/webhook";

// The host is compromised. The attacker holds everything the host holds: its config, the
// passwords, the rclone credentials, the REST server's user and password. [cloud_sync] mirrors to
// `rclone serve sftp` (credentials that may delete); [cloud_sync:vault] is a restic repository of
// its own on `rclone serve restic --append-only`. The attacker erases what it can; the mirror's
// loss is caught by the next sync (exit 1, nothing written there, a notification); the vault
// survives untouched, and a new host is recovered from it byte for byte.

const MiB = 1024 * 1024;
const REST_USER = "backup";
const REST_PASS = "rest-Pa55-vault-4242";

describe("an attacker with the host's own config and credentials", () => {
  let w: TestWorld;
  let stackDir: string;
  let sftp: RcloneServer;
  let rest: RcloneServer;
  let hook: Webhook;
  let targetPw: string;
  let env: NodeJS.ProcessEnv;
  const before: { volume: Record<string, string>; dir: Record<string, string> } = { volume: {}, dir: {} };
  const vaultUrl = () => `http://127.0.0.1:${rest.port}/h1`;
  const vaultRepo = () => `rest:http://${REST_USER}:${REST_PASS}@127.0.0.1:${rest.port}/h1`;

  /** restic as the attacker runs it, against the vault, with the vault's password from the host's config. */
  const resticVault = (args: string[]) =>
    spawnSync("restic", ["-r", vaultRepo(), ...args], {
      env: { ...process.env, RESTIC_PASSWORD_FILE: targetPw, RESTIC_PASSWORD: undefined },
      encoding: "utf8",
    });
  const vaultIds = () => {
    const r = resticVault(["snapshots", "--json", "--no-lock"]);
    if (r.status !== 0) throw new Error(r.stderr);
    return (JSON.parse(r.stdout) as Array<{ id: string }>).map((s) => s.id).sort();
  };
  const rclone = (args: string[]) =>
    spawnSync("rclone", ["--config", "/dev/null", ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
  /** The vault's files on the server's disk: path → sha256. */
  const vaultFiles = () => treeDigest(join(rest.dir, "h1"));
  const basic = `Basic ${Buffer.from(`${REST_USER}:${REST_PASS}`).toString("base64")}`;

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    hook = await webhook("/hook");
    sftp = await rcloneServe("sftp", {
      dir: join(w.dir, "srv-sftp"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: "sftp-pass-9911",
    });
    rest = await rcloneServe("restic", {
      dir: join(w.dir, "srv-rest"),
      workDir: join(w.dir, "servers"),
      user: REST_USER,
      pass: REST_PASS,
      appendOnly: true,
    });
    targetPw = join(w.dir, "vault-password");
    writeFileSync(targetPw, "vault-password-0815\n", { mode: 0o600 });
    appendFileSync(
      w.configFile,
      [
        "[cloud_sync]",
        "RCLONE_REMOTE=sftpr",
        "RCLONE_PATH=mirror/h1",
        "RETRIES=1",
        "[cloud_sync:vault]",
        "MODE=restic",
        `RESTIC_REPOSITORY=${vaultRepo()}`,
        `RESTIC_PASSWORD_FILE=${targetPw}`,
        "",
      ].join("\n"),
    );
    env = {
      ...remoteEnv("sftpr", sftp),
      BACKUP_TUI_RETRY_BASE_MS: "100",
      BACKUP_TUI_NOTIFY_WEBHOOK_URL: hook.url,
    };
    restic(w, ["init", "-q"]);
    stackDir = writeStack(w.stacksDir, "crown", { app: { volumes: ["jewels:/data"] } }, ["jewels"]);
    writeFileSync(join(stackDir, ".env"), "SECRET_SAUCE=42\n");
    composeUp(stackDir);
    const mp = volumeMountpoint("crown_jewels");
    mkdirSync(join(mp, "deep", "er"), { recursive: true });
    writeFileSync(join(mp, "big.bin"), randomBytes(3 * MiB));
    writeFileSync(join(mp, "deep", "er", "note.txt"), "the crown jewels\n");
    before.volume = treeDigest(mp);
    before.dir = treeDigest(stackDir);
    const b = cli(w, ["backup", "--doomsday"], env);
    expect(b.code, b.stderr).toBe(0);
    const s = cli(w, ["sync"], env);
    expect(s.code, s.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await stopAllServers();
    await hook?.close();
    if (stackDir) composeDown(stackDir);
    w?.cleanup();
  });

  it("cannot forget, delete or overwrite anything in the append-only restic target; the mirror it can purge", async () => {
    const ids = vaultIds();
    expect(ids.length).toBeGreaterThanOrEqual(2); // the stack and the doomsday snapshot
    const files = vaultFiles();

    const forget = resticVault(["forget", "--prune", ids[0]]);
    expect(forget.status).not.toBe(0);
    const prune = resticVault(["forget", "--keep-last", "1", "--group-by", "", "--prune"]);
    expect(prune.status).not.toBe(0);

    // Straight at the REST protocol: delete a snapshot, overwrite a pack, delete the config.
    const pack = Object.keys(files).find((f) => f.startsWith("data/") && files[f] !== "dir")!;
    const packName = pack.split("/").pop()!;
    const del = await fetch(`${vaultUrl()}/snapshots/${ids[0]}`, {
      method: "DELETE",
      headers: { authorization: basic },
    });
    expect(del.status).toBe(403);
    const over = await fetch(`${vaultUrl()}/data/${packName}`, {
      method: "POST",
      headers: { authorization: basic },
      body: randomBytes(4096),
    });
    expect(over.ok).toBe(false);
    const cfg = await fetch(`${vaultUrl()}/config`, { method: "DELETE", headers: { authorization: basic } });
    expect(cfg.ok).toBe(false);

    // Only lock files come and go (restic's forget took and dropped its lock).
    const after = vaultFiles();
    const lasting = (t: Record<string, string>) =>
      Object.fromEntries(Object.entries(t).filter(([f]) => !f.startsWith("locks")));
    expect(lasting(after)).toEqual(lasting(files));
    expect(vaultIds()).toEqual(ids);

    // The mirror: the host's rclone credentials may delete, and do.
    expect(rclone(["purge", "sftpr:mirror/h1"]).status).toBe(0);
    expect(rclone(["purge", "sftpr:mirror/h1.kit"]).status).toBe(0); // the recovery kit beside it
    expect(readdirSync(join(sftp.dir, "mirror"))).toEqual([]);
  });

  it("the next sync sees the mirror's loss: exit 1, nothing written there, a failed-run notification; the vault syncs", async () => {
    hook.got.length = 0;
    const r = await cliAsync(w, ["sync", "--json"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the copy at default lost \d+ snapshots? you did not forget/);
    expect(readdirSync(join(sftp.dir, "mirror"))).toEqual([]);
    const sent = hook.json().find((n) => JSON.stringify(n).includes("TAMPER ALARM"));
    expect(sent, JSON.stringify(hook.json())).toMatchObject({ kind: "sync", status: "failed", exitCode: 1 });
    const result = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { type?: string; targets?: Array<{ target: string; exitCode: number }> })
      .find((o) => o.type === "sync");
    expect(result?.targets?.map((t) => [t.target, t.exitCode])).toEqual([
      ["default", 1],
      ["vault", 0],
    ]);
    const st = cli(w, ["status"], env);
    expect(st.code).toBe(1);
    expect(st.stdout + st.stderr).toContain("TAMPER ALARM");
  });

  it("after the local repository is erased too, a new host comes back from the vault: restore --disaster finds the mirror gone and takes the vault, byte for byte", () => {
    const ids = vaultIds();
    rmSync(w.repo, { recursive: true, force: true });
    // A sync with no local repository writes nothing anywhere.
    const s = cli(w, ["sync"], env);
    expect(s.code).not.toBe(0);
    expect(vaultIds()).toEqual(ids);
    expect(resticVault(["check", "--no-lock"]).status).toBe(0);

    // The host is gone: its stack, its volume, its state.
    composeDown(stackDir);
    expect(docker(["volume", "ls", "-q"]).split("\n")).not.toContain("crown_jewels");
    rmSync(stackDir, { recursive: true, force: true });
    rmSync(w.stateDir, { recursive: true, force: true });

    // No --from: the first copy (the purged mirror) does not come back, the recovery says so and takes the next.
    const r = cli(w, ["--json", "restore", "--disaster", "--yes"], env);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expect(r.stderr + r.stdout).toMatch(
      /the copy at default \(sftpr:mirror\/h1\) did not come back: .*; trying vault \(rest:/,
    );
    expect(r.stderr + r.stdout).toMatch(/pulled rest:\S+ \(vault\) \(\d+ snapshot\(s\) copied\); restic check passed/);
    expect(treeDigest(volumeMountpoint("crown_jewels"))).toEqual(before.volume);
    expect(treeDigest(stackDir)).toEqual(before.dir);
    expect(readFileSync(join(stackDir, ".env"), "utf8")).toBe("SECRET_SAUCE=42\n");
    const running = execFileSync(
      "docker",
      ["ps", "--format", "{{.Names}}", "--filter", "label=com.docker.compose.project=crown"],
      {
        encoding: "utf8",
      },
    );
    expect(running).toContain("crown-app-1");
    // The vault is as it was: the recovery only read from it.
    expect(vaultIds()).toEqual(ids);
  }, 400_000);
});
