import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { allCommandLines, start } from "../../helpers/processes";
import { obscure, rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// Scenario 11 of the fault suite: through a whole backup, sync to a password-protected sftp
// server, files-level verify, a guarded restore in place and a stage-3 pull, the repository
// password, the confirmation password and the remote's credentials (plain and rclone-obscured)
// appear in no process's argv (sampled from /proc every 20 ms while each command runs), in no
// output, in no log line and in no history entry.

const MiB = 1024 * 1024;
const CONFIRM_PW = "confirm-Secret-77a1";
const SFTP_PW = "sftp-Secret-51c9";

describe("secrets stay out of argv, output, logs and history", () => {
  let w: TestWorld;
  let dir: string;
  let sftp: RcloneServer;
  let secrets: string[];
  let env: NodeJS.ProcessEnv;
  const argvSeen = new Set<string>();
  const outputs: string[] = [];

  /** Runs the binary while sampling every process's argv; keeps its output. */
  async function run(args: string[], extra: NodeJS.ProcessEnv = {}) {
    const r = start(args, { ...env, ...extra });
    let finished = false;
    void r.done.then(() => (finished = true));
    while (!finished) {
      for (const p of allCommandLines()) argvSeen.add(p.argv);
      await new Promise((res) => setTimeout(res, 20));
    }
    const res = await r.done;
    outputs.push(res.stdout, res.stderr);
    return res;
  }

  beforeAll(async () => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    sftp = await rcloneServe("sftp", {
      dir: join(w.dir, "srv"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: SFTP_PW,
    });
    env = {
      ...w.env,
      ...remoteEnv("vault", sftp),
      BACKUP_TUI_CLOUD_SYNC_RCLONE_REMOTE: "vault",
      BACKUP_TUI_CLOUD_SYNC_RCLONE_PATH: "backups/host1",
    };
    secrets = [readFileSync(w.passwordFile, "utf8").trim(), CONFIRM_PW, SFTP_PW, obscure(SFTP_PW)];
    const pwFile = join(w.dir, "confirm-pw");
    writeFileSync(pwFile, CONFIRM_PW, { mode: 0o600 });
    expect((await run(["config", "set-confirm-password", "--password-file", pwFile])).code).toBe(0);
    dir = writeStack(w.stacksDir, "vault", { app: { volumes: ["data:/data"] } }, ["data"]);
    composeUp(dir);
    writeFileSync(join(volumeMountpoint("vault_data"), "payload.bin"), randomBytes(24 * MiB));
  });
  afterAll(async () => {
    composeDown(dir);
    await stopAllServers();
    w?.cleanup();
  });

  it("backup, sync, verify, a guarded restore in place and a pull all succeed", async () => {
    for (const [args, extra] of [
      [["backup", "vault"], {}],
      [["sync"], {}],
      [["verify", "--level", "files"], {}],
      [["restore", "--stack", "vault", "--yes"], { BACKUP_TUI_CONFIRM_PASSWORD: CONFIRM_PW }],
      [["restore", join(w.dir, "pulled")], {}],
      [["history", "--json"], {}],
      [["status", "--json"], {}],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const r = await run(args, extra);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    // The sampling saw the tools it was meant to inspect.
    expect([...argvSeen].some((a) => /restic .*backup/.test(a))).toBe(true);
    expect([...argvSeen].some((a) => /rclone .*sync/.test(a))).toBe(true);
    expect([...argvSeen].some((a) => /restic .*restore/.test(a))).toBe(true);
  });

  it("no secret in any process's argv", () => {
    for (const s of secrets) expect([...argvSeen].filter((a) => a.includes(s))).toEqual([]);
  });

  it("no secret in any output, log file or in the state database (history)", () => {
    const logs = readdirSync(w.stateDir).filter((n) => n.startsWith("backup-tui.log"));
    expect(logs.length).toBeGreaterThan(0);
    const texts = [...outputs, ...logs.map((n) => readFileSync(join(w.stateDir, n), "utf8"))];
    const db = readdirSync(w.stateDir).filter((n) => n.startsWith("state.db"));
    expect(db).toContain("state.db");
    for (const n of db) texts.push(readFileSync(join(w.stateDir, n)).toString("latin1"));
    for (const s of secrets)
      expect(texts.filter((t) => t.includes(s)).length, `a text holds ${s.slice(0, 4)}…`).toBe(0);
  });
});
