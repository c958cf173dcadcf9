import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { rcloneServe, remoteEnv, stopAllServers, type RcloneServer } from "../../helpers/servers";
import { composeDown, containerStates, docker, IMAGE, LOOP } from "../../helpers/stacks";

// Issue 17 item 9: our secrets in the environment of the children that do not use them. A Compose
// file that interpolates them into a container's environment and labels is brought up by
// backup-tui itself (`backup --strategy down`, `restore --disaster --yes`) while every kind of
// secret is exported: the confirmation password, restic's password (also as our config override),
// the sftp remote's rclone password, a cloud key. The recreated container must see none of them,
// while the user's own variable still reaches it; the hook sees none of them either; restic and
// rclone, which do use theirs, still work (the backup, the sync and the pull succeed).

const STACK = "envleak";
const CONFIRM = "Confirm-Leak-Pw-7731";
const REPO_PW = "test-password-1234"; // makeWorld's repository password
const AWS_KEY = "aws-secret-key-5521";
const SFTP_PASS = "sftp-pass-9043";

const SEEN: Record<string, string> = {
  SEEN_CONFIRM: "BACKUP_TUI_CONFIRM_PASSWORD",
  SEEN_RESTIC: "RESTIC_PASSWORD",
  SEEN_OVERRIDE: "BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD",
  SEEN_RCLONE: "RCLONE_CONFIG_CLOUD_PASS",
  SEEN_AWS: "AWS_SECRET_ACCESS_KEY",
};
const COMPOSE = [
  "services:",
  "  app:",
  `    image: ${IMAGE}`,
  `    command: ["sh", "-c", ${JSON.stringify(LOOP)}]`,
  "    stop_grace_period: 2s",
  "    environment:",
  ...Object.entries(SEEN).map(([k, v]) => `      ${k}: "\${${v}:-}"`),
  '      SEEN_DOMAIN: "${APP_DOMAIN:-}"',
  "    labels:",
  '      leak.confirm: "${BACKUP_TUI_CONFIRM_PASSWORD:-}"',
  '      leak.restic: "${RESTIC_PASSWORD:-}"',
  "",
].join("\n");

interface Seen {
  env: Record<string, string>;
  labels: Record<string, string>;
}
function seenBy(container: string): Seen {
  const c = JSON.parse(docker(["inspect", container]))[0] as {
    Config: { Env: string[]; Labels: Record<string, string> };
  };
  return {
    env: Object.fromEntries(c.Config.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
    labels: c.Config.Labels,
  };
}

describe("children get only the secrets they use (issue 17 item 9)", () => {
  let w: TestWorld;
  let sftp: RcloneServer;
  let dir: string;
  let hookFile: string;
  /** Every kind of secret exported, as an admin's shell (or a careless unit file) might. */
  let secrets: NodeJS.ProcessEnv;

  const expectNoSecretIn = (s: Seen) => {
    for (const k of Object.keys(SEEN)) expect(s.env[k], k).toBe("");
    expect(s.env.SEEN_DOMAIN).toBe("shop.example.org"); // the user's own variable still reaches compose
    expect(s.labels["leak.confirm"]).toBe("");
    expect(s.labels["leak.restic"]).toBe("");
  };

  /** The PRE_HOOK wrote its environment to hookFile: none of our secrets, what a hook is given and the user's own. */
  const expectHookSawNoSecret = () => {
    const hookEnv = readFileSync(hookFile, "utf8");
    for (const value of [CONFIRM, REPO_PW, AWS_KEY, secrets.RCLONE_CONFIG_CLOUD_PASS!])
      expect(hookEnv).not.toContain(value);
    for (const name of [...Object.values(SEEN), "BACKUP_TUI_CONFIG", "BACKUP_TUI_STATE_DIR"])
      expect(hookEnv).not.toMatch(new RegExp(`^${name}=`, "m"));
    // What a hook is given, and the user's own variables, still reach it.
    expect(hookEnv).toMatch(/^BACKUP_TUI_STACK=envleak$/m);
    expect(hookEnv).toMatch(/^BACKUP_TUI_HOOK=pre$/m);
    expect(hookEnv).toMatch(/^APP_DOMAIN=shop\.example\.org$/m);
    expect(hookEnv).toMatch(/^PATH=/m);
  };

  beforeAll(async () => {
    ensureBinary();
    // The hook runs in the stack directory (w.dir/stacks/envleak): it writes w.dir/hook-env.
    w = makeWorld(
      [
        "HOSTNAME=envleak-host",
        `[stack:${STACK}]`,
        'PRE_HOOK="env > ../../hook-env"',
        "[cloud_sync]",
        "RCLONE_REMOTE=cloud",
        "RCLONE_PATH=hosts/envleak/restic",
      ].join("\n"),
    );
    hookFile = join(w.dir, "hook-env");
    restic(w, ["init", "-q"]);
    const pwFile = join(w.dir, "confirm-pw");
    writeFileSync(pwFile, `${CONFIRM}\n`, { mode: 0o600 });
    expect(cli(w, ["config", "set-confirm-password", "--password-file", pwFile]).code).toBe(0);
    sftp = await rcloneServe("sftp", {
      dir: join(w.dir, "cloud"),
      workDir: join(w.dir, "servers"),
      user: "backup",
      pass: SFTP_PASS,
    });
    secrets = {
      ...remoteEnv("cloud", sftp), // RCLONE_CONFIG_CLOUD_PASS: rclone's own, needed by the sync and the pull
      BACKUP_TUI_CONFIRM_PASSWORD: CONFIRM,
      RESTIC_PASSWORD: REPO_PW,
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD: REPO_PW, // the repository password restic gets from the config
      AWS_SECRET_ACCESS_KEY: AWS_KEY,
      APP_DOMAIN: "shop.example.org",
      BACKUP_TUI_RETRY_BASE_MS: "200",
    };
    expect(secrets.RCLONE_CONFIG_CLOUD_PASS).toBeTruthy();
    dir = join(w.stacksDir, STACK);
    mkdirSync(dir);
    writeFileSync(join(dir, "compose.yaml"), COMPOSE);
    writeFileSync(join(dir, "app.conf"), "mode=production\n");
    // Brought up by the admin, with none of the secrets in the environment.
    execFileSync("docker", ["compose", "up", "-d", "--quiet-pull"], {
      cwd: dir,
      stdio: "pipe",
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
  });
  afterAll(async () => {
    composeDown(dir);
    await stopAllServers();
    w?.cleanup();
  });

  it("backup --strategy down with every secret exported: compose recreates the container without any of them, the PRE_HOOK sees none of them, restic still opens the repository", () => {
    const before = docker(["inspect", "-f", "{{.Id}}", `${STACK}-app-1`]).trim();
    const r = cli(w, ["backup", STACK, "--strategy", "down", "--single-pass"], secrets);
    expect(r.code, r.stderr).toBe(0);
    // down/up -d made a new container from the compose file, interpolated with backup-tui's environment.
    expect(docker(["inspect", "-f", "{{.Id}}", `${STACK}-app-1`]).trim()).not.toBe(before);
    expect(containerStates(STACK)).toEqual({ [`${STACK}-app-1`]: "running" });
    expectNoSecretIn(seenBy(`${STACK}-app-1`));

    expectHookSawNoSecret();

    const snaps = JSON.parse(restic(w, ["snapshots", "--json", "--tag", `stack:${STACK}`])) as unknown[];
    expect(snaps).toHaveLength(1);
  });

  it("the daemon's job (backup-tui itself) still gets our settings and credentials: the scheduled backup runs on this config; its PRE_HOOK sees none of them", async () => {
    expect(cli(w, ["dirlist", "enable", STACK]).code).toBe(0);
    rmSync(hookFile, { force: true });
    // BACKUP_TUI_CONFIG and BACKUP_TUI_STATE_DIR (w.env) name this world: a job without them would run elsewhere.
    const daemon = spawn(BIN, ["daemon"], {
      env: { ...w.env, ...secrets, BACKUP_TUI_SCHEDULE_BACKUP: "* * * * * *" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    daemon.stderr.on("data", (d) => (stderr += d));
    const done = new Promise<number | null>((r) => daemon.on("close", (code) => r(code)));
    try {
      for (let i = 0; !/backup: finished/.test(stderr); i++) {
        if (i > 1200) throw new Error(`no scheduled backup finished:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      daemon.kill("SIGTERM");
      await done;
    }
    expect(stderr).toMatch(/backup: finished, exit 0/);
    const scheduled = JSON.parse(
      restic(w, ["snapshots", "--json", "--tag", `stack:${STACK},trigger:scheduled`]),
    ) as unknown[];
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    expectHookSawNoSecret();
  }, 180_000);

  it("restore --disaster --yes with the confirmation password in the environment: the recovered stack's container sees none of the secrets (rclone still pulls with its password)", () => {
    const stackSnap = (
      JSON.parse(restic(w, ["snapshots", "--json", "--tag", `stack:${STACK}`])) as Array<{ id: string }>
    ).at(-1)!.id;
    // A doomsday snapshot whose inventory lists only this stack, running (a full `backup --doomsday`
    // would list everything on the shared engine).
    const inventory = join(w.dir, "old-state", "staging", "doomsday", "inventory.json");
    mkdirSync(join(inventory, ".."), { recursive: true });
    writeFileSync(
      inventory,
      JSON.stringify({
        format: 1,
        host: "envleak-host",
        createdAt: new Date().toISOString(),
        docker: { version: "27.0" },
        containers: [],
        networks: [],
        volumes: [],
        images: [],
        stacks: [
          {
            name: STACK,
            project: STACK,
            dir,
            composeFiles: [join(dir, "compose.yaml")],
            envFiles: [],
            running: true,
            snapshot: stackSnap,
            dependsOn: [],
          },
        ],
        files: {},
        savedImages: [],
      }),
    );
    restic(w, ["backup", "-q", "--host", "envleak-host", "--tag", "backup-tui", "--tag", "kind:doomsday", inventory]);
    const sync = cli(w, ["sync"], secrets);
    expect(sync.code, sync.stderr).toBe(0);

    // The old host is gone.
    composeDown(dir);
    rmSync(dir, { recursive: true, force: true });
    const newHost = {
      ...secrets,
      BACKUP_TUI_STATE_DIR: join(w.dir, "state-new"),
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: join(w.dir, "repo-new"),
    };
    const r = cli(w, ["restore", "--disaster", "--yes"], newHost);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(dir, "app.conf"), "utf8")).toBe("mode=production\n");
    expect(containerStates(STACK)).toEqual({ [`${STACK}-app-1`]: "running" });
    expectNoSecretIn(seenBy(`${STACK}-app-1`));
  });
});
