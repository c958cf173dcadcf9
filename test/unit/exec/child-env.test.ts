import { afterEach, describe, expect, it } from "vitest";
import { childEnvironment, childMayInherit, type ChildKind } from "../../../src/exec/child-env";
import { ProcessRunner } from "../../../src/exec/runner";
import { confirmPasswordFromEnv } from "../../../src/security/confirm-env";

/** Our environment during a `restore --disaster --yes` with every kind of credential exported. */
const PARENT: NodeJS.ProcessEnv = {
  PATH: "/usr/bin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  DOCKER_HOST: "unix:///run/docker.sock",
  DOCKER_CONFIG: "/root/.docker",
  COMPOSE_PROJECT_NAME: "shop",
  COMPOSE_PROFILES: "web",
  HTTPS_PROXY: "http://proxy:3128",
  no_proxy: "localhost",
  APP_DOMAIN: "shop.example.org", // the user's own, interpolated by compose
  PGPASSWORD: "users-own-db-password", // the user's own, for their hook
  MINIO_ROOT_PASSWORD: "users-minio", // a MinIO stack's, not restic's
  REAL_RESTIC: "/usr/local/bin/restic",
  BACKUP_TUI_CONFIRM_PASSWORD: "confirm-pw",
  BACKUP_TUI_CONFIG: "/etc/backup-tui/config.ini",
  BACKUP_TUI_NOTIFY_WEBHOOK_URL: "https://hooks.example.org/T0KEN",
  BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD: "override-pw",
  RESTIC_PASSWORD: "restic-pw",
  RESTIC_PASSWORD_FILE: "/root/pw",
  RESTIC_PASSWORD_COMMAND: "pass show restic",
  RESTIC_REPOSITORY: "rest:https://u:p@host/repo",
  AWS_ACCESS_KEY_ID: "AKIA",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  B2_ACCOUNT_KEY: "b2-key",
  AZURE_ACCOUNT_KEY: "azure-key",
  GOOGLE_APPLICATION_CREDENTIALS: "/root/gcs.json",
  OS_PASSWORD: "swift-pw",
  ST_KEY: "swift-key",
  RCLONE_CONFIG_PASS: "rclone-config-pw",
  RCLONE_CONFIG_CLOUD_PASS: "obscured",
  RCLONE_PASSWORD_COMMAND: "pass show rclone",
};

const LEGIT = [
  "PATH",
  "HOME",
  "LANG",
  "DOCKER_HOST",
  "DOCKER_CONFIG",
  "COMPOSE_PROJECT_NAME",
  "COMPOSE_PROFILES",
  "HTTPS_PROXY",
  "no_proxy",
  "APP_DOMAIN",
  "PGPASSWORD",
  "MINIO_ROOT_PASSWORD",
  "REAL_RESTIC",
];
const RESTIC = ["RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY"];
const CLOUD = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "B2_ACCOUNT_KEY",
  "AZURE_ACCOUNT_KEY",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "OS_PASSWORD",
  "ST_KEY",
];
const RCLONE = ["RCLONE_CONFIG_PASS", "RCLONE_CONFIG_CLOUD_PASS", "RCLONE_PASSWORD_COMMAND"];
const OURS = ["BACKUP_TUI_CONFIG", "BACKUP_TUI_NOTIFY_WEBHOOK_URL", "BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD"];

const names = (kind: ChildKind) => Object.keys(childEnvironment(kind, PARENT)).sort();
const sorted = (...lists: string[][]) => lists.flat().sort();

describe("child-env: which of our variables each child inherits", () => {
  it("Given every credential exported, When a tool child (compose, docker, hook, dump) starts, Then it gets only the non-secret and the user's own variables", () => {
    expect(names("tool")).toEqual(sorted(LEGIT));
  });

  it("Given the same, When restic starts, Then it gets restic's and the cloud credentials, not rclone's nor ours", () => {
    expect(names("restic")).toEqual(sorted(LEGIT, RESTIC, CLOUD));
  });

  it("Given the same, When restic with an rclone: repository starts, Then it gets rclone's variables too (it runs rclone itself)", () => {
    expect(names("restic-rclone")).toEqual(sorted(LEGIT, RESTIC, CLOUD, RCLONE));
  });

  it("Given the same, When rclone starts, Then it gets rclone's and the cloud credentials (env_auth), not restic's nor ours", () => {
    expect(names("rclone")).toEqual(sorted(LEGIT, CLOUD, RCLONE));
  });

  it("Given the same, When backup-tui itself starts (a daemon job), Then it gets every family except the confirmation password", () => {
    expect(names("backup-tui")).toEqual(sorted(LEGIT, RESTIC, CLOUD, RCLONE, OURS));
  });

  it("Given BACKUP_TUI_CONFIRM_PASSWORD, When any kind of child starts, Then it never inherits it", () => {
    for (const kind of ["tool", "restic", "restic-rclone", "rclone", "backup-tui"] as const) {
      expect(childMayInherit(kind, "BACKUP_TUI_CONFIRM_PASSWORD")).toBe(false);
    }
  });

  it("Given explicit variables from the caller, When merged, Then they are set after the filter and undefined deletes one", () => {
    const env = childEnvironment("tool", PARENT, {
      BACKUP_TUI_STACK: "shop",
      RESTIC_PASSWORD: "given",
      HOME: undefined,
    });
    expect(env.BACKUP_TUI_STACK).toBe("shop");
    expect(env.RESTIC_PASSWORD).toBe("given");
    expect(env).not.toHaveProperty("HOME");
  });

  it("Given names that only look alike, When filtered, Then prefixes are matched, not substrings", () => {
    for (const n of ["MY_RESTIC_PASSWORD", "XAWS_KEY", "POS_X", "STACK_KEY", "BACKUP_TUIX"])
      expect(childMayInherit("tool", n)).toBe(true);
  });
});

describe("the runner hands each child only its share", () => {
  const runner = new ProcessRunner();
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("Given RESTIC_PASSWORD, an rclone password and BACKUP_TUI_* in our environment, When a tool child and a restic child run, Then only the restic child sees restic's", async () => {
    Object.assign(process.env, {
      RESTIC_PASSWORD: "leak-1",
      RCLONE_CONFIG_PASS: "leak-2",
      BACKUP_TUI_CONFIG: "/x",
      APP_DOMAIN: "d",
    });
    const script =
      'echo "${RESTIC_PASSWORD-unset} ${RCLONE_CONFIG_PASS-unset} ${BACKUP_TUI_CONFIG-unset} ${APP_DOMAIN-unset} ${PATH:+path}"';
    expect((await runner.run("sh", ["-c", script])).stdout).toBe("unset unset unset d path\n");
    expect((await runner.run("sh", ["-c", script], { child: "restic" })).stdout).toBe("leak-1 unset unset d path\n");
    expect((await runner.run("sh", ["-c", script], { child: "rclone" })).stdout).toBe("unset leak-2 unset d path\n");
  });
});

describe("confirm-env: the confirmation password leaves process.env once read", () => {
  it("Given BACKUP_TUI_CONFIRM_PASSWORD, When read, Then it is gone from process.env and still answered", () => {
    process.env.BACKUP_TUI_CONFIRM_PASSWORD = "correct horse";
    expect(confirmPasswordFromEnv()).toBe("correct horse");
    expect(process.env.BACKUP_TUI_CONFIRM_PASSWORD).toBeUndefined();
    expect(confirmPasswordFromEnv()).toBe("correct horse");
  });
});
