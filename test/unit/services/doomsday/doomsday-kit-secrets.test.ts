import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../../src/config/load";
import type { ServiceContext } from "../../../../src/services/run/context";
import { kitDir, pushKit } from "../../../../src/services/doomsday/doomsday";
import { KIT_FILES, remaskKitConfig, writeKit } from "../../../../src/services/doomsday/kit";

/** Each is a secret that is not a secret key's value; none may reach a kit file. */
const SECRETS = {
  repoPassword: "repo-Pw-7731",
  portainerPass: "portainer-Pw-4410",
  gotifyToken: "AgotifyTok3n",
  webhookPath: "whk-Secret-Path-99",
  webhookQuery: "whk-Query-Token-55",
  ntfyTopic: "ntfy-Topic-Secret-31",
  passwordCommand: "vault-Item-8812",
  pgPassword: "pg-Pass-6620",
  postHook: "post-Hook-Token-17",
  commentedOut: "old-Password-0042",
  healthchecks: "hc-Uuid-5a5a",
};

const CONFIG = `[docker]
DOCKER_STACKS_DIR=/opt/stacks
[local_backup]
RESTIC_REPOSITORY=rest:https://backup:${SECRETS.repoPassword}@rest.example.com:8000/host1/
RESTIC_PASSWORD_COMMAND="pass show ${SECRETS.passwordCommand}"
#RESTIC_PASSWORD=${SECRETS.commentedOut}
KEEP_DAILY=9
[doomsday]
PORTAINER_URL=https://admin:${SECRETS.portainerPass}@127.0.0.1:9443
PASSWORD_HINT=the blue notebook
[notify]
GOTIFY_URL=https://gotify.example.com/message?token=${SECRETS.gotifyToken}
WEBHOOK_URL=https://hooks.example.com/${SECRETS.webhookPath}?key=${SECRETS.webhookQuery}
NTFY_URL=https://ntfy.sh/${SECRETS.ntfyTopic}
HEALTHCHECKS_URL=https://hc-ping.com/${SECRETS.healthchecks}
[stack:db]
PRE_HOOK="PGPASSWORD=${SECRETS.pgPassword} pg_dump -h 127.0.0.1 app > /srv/dump.sql"
POST_HOOK="curl -fsS https://status.example.com/done/${SECRETS.postHook}"
STOP_STRATEGY=none
`;

let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), "kit-secrets-"))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

function kit() {
  const file = join(root, "config.ini");
  writeFileSync(file, CONFIG);
  chmodSync(file, 0o600);
  const config = loadConfig({
    flag: file,
    env: { BACKUP_TUI_STATE_DIR: join(root, "state") },
    exeDir: root,
    cwd: root,
    home: root,
    uid: 1000,
  });
  const dir = join(root, "kit");
  writeKit(dir, config, {
    host: "host1",
    createdAt: "2026-12-03T00:00:00Z",
    version: "t",
    repository: config.restic.repository,
    passwordSource: "RESTIC_PASSWORD_COMMAND",
    stacks: [{ name: "db", running: true }],
    volumes: 1,
    networks: 1,
    savedImages: [],
    localImages: [],
    portainer: `failed: cannot reach https://admin:${SECRETS.portainerPass}@127.0.0.1:9443/api/backup?x=${SECRETS.gotifyToken}`,
    configFile: file,
  });
  return dir;
}

describe("the recovery kit keeps no secret that is not a secret key", () => {
  it("Given a config holding URL credentials, tokens in paths and queries, an ntfy topic, a password command and hooks, When the kit is written, Then none of them is in any kit file", () => {
    const dir = kit();
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), "utf8");
      for (const [what, secret] of Object.entries(SECRETS)) expect(text, `${what} in ${f}`).not.toContain(secret);
    }
  });

  it("Given the kit's config, Then it keeps what recovery needs and says what was removed and that it must be filled in", () => {
    const text = readFileSync(join(kit(), KIT_FILES.config), "utf8");
    expect(text).toContain("RESTIC_REPOSITORY=rest:https://rest.example.com:8000/host1/");
    expect(text).toContain("PORTAINER_URL=https://127.0.0.1:9443");
    expect(text).toContain("GOTIFY_URL=https://gotify.example.com\n");
    expect(text).toContain("KEEP_DAILY=9");
    expect(text).toContain("PASSWORD_HINT=the blue notebook");
    expect(text).toContain("STOP_STRATEGY=none");
    for (const key of [
      "RESTIC_PASSWORD_COMMAND",
      "PRE_HOOK",
      "POST_HOOK",
      "WEBHOOK_URL",
      "NTFY_URL",
      "HEALTHCHECKS_URL",
      "GOTIFY_URL",
      "PORTAINER_URL",
      "RESTIC_REPOSITORY",
    ]) {
      expect(text, key).toMatch(new RegExp(`^# .*removed from the recovery kit.*fill in ${key} by hand$`, "m"));
    }
    expect(text.split("\n")[0]).toMatch(/^# RECOVERY KIT COPY: the values of .*PRE_HOOK.* were removed/);
  });

  it("Given the kit's config, When loaded as a config (as step 2 of the runbook does), Then it loads", () => {
    const file = join(root, "kit.ini");
    writeFileSync(file, readFileSync(join(kit(), KIT_FILES.config), "utf8"), { mode: 0o600 });
    const c = loadConfig({
      flag: file,
      env: { BACKUP_TUI_STATE_DIR: join(root, "state") },
      exeDir: root,
      cwd: root,
      home: root,
      uid: 1000,
    });
    expect(c.stacks.db.preHook).toBeUndefined();
    expect(c.retention.keep.daily).toBe(9);
  });

  it("Given a kit written by an older version (secrets in its config), When it is pushed, Then its config is masked again first, and masking twice changes nothing", () => {
    const dir = kit();
    writeFileSync(join(dir, KIT_FILES.config), CONFIG);
    remaskKitConfig(dir);
    const once = readFileSync(join(dir, KIT_FILES.config), "utf8");
    for (const secret of Object.values(SECRETS)) expect(once).not.toContain(secret);
    remaskKitConfig(dir);
    expect(readFileSync(join(dir, KIT_FILES.config), "utf8")).toBe(once);
  });

  it("Given a kit left in the state dir by an older version, When sync pushes it beside the cloud copy, Then what rclone copies holds none of the secrets", async () => {
    const stateDir = join(root, "state");
    const dir = kitDir(stateDir);
    writeKit(
      dir,
      loadConfig({
        flag: (writeFileSync(join(root, "c.ini"), CONFIG, { mode: 0o600 }), join(root, "c.ini")),
        env: { BACKUP_TUI_STATE_DIR: stateDir },
        exeDir: root,
        cwd: root,
        home: root,
        uid: 1000,
      }),
      {
        host: "h",
        createdAt: "t",
        version: "t",
        repository: "r",
        passwordSource: "p",
        stacks: [],
        volumes: 0,
        networks: 0,
        savedImages: [],
        localImages: [],
      },
    );
    writeFileSync(join(dir, KIT_FILES.config), CONFIG);
    const copied: string[] = [];
    const ctx = {
      config: { stateDir, cloud: { remote: "cloud", path: "backups/h", syncTimeoutSec: 60 } },
      rclone: {
        copy: async (from: string) =>
          void copied.push(...readdirSync(from).map((f) => readFileSync(join(from, f), "utf8"))),
      },
    } as unknown as ServiceContext;
    expect(await pushKit(ctx)).toBe("cloud:backups/h.kit");
    expect(copied.length).toBeGreaterThan(0);
    for (const text of copied) for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });
});
