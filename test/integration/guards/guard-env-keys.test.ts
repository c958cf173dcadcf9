/**
 * Keys that decide what gets deleted are the config file's alone while a confirmation password is
 * set (issue 17 item 2). `backup` asks no password, yet with LOW_SPACE_ACTION=prune under
 * MIN_FREE_PERCENT it forgets and prunes snapshots: an environment that set both could delete
 * almost every snapshot through it. Every path loads its config through loadConfig (the TUI's
 * context and the daemon included: the daemon runs its jobs as this same executable), so the
 * refusal is tried on the CLI's backup, `backup --scheduled`, the daemon, `forget --scheduled`
 * and the TUI backend's context. A positive control without the hash shows the attack is real.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type CliResult, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, writeStack } from "../../helpers/stacks";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";

const CONFIRM = "Guard-Env-Keys-4471";
/** The attack: a free-space floor no disk meets, and "make room by forgetting". */
const ATTACK = { BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT: "99", BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION: "prune" };

let w: TestWorld;
let project: string;
let stackDir: string;

const ids = () =>
  (JSON.parse(restic(w, ["snapshots", "--json", "--no-lock"])) as Array<{ id: string }>).map((s) => s.id).sort();
const show = (r: CliResult) =>
  `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 2000)}\n--- stderr\n${r.stderr.slice(0, 2000)}`;
function refused(r: CliResult, ...names: string[]): void {
  expect(r.code, show(r)).toBe(2);
  for (const n of names) expect(r.stderr, show(r)).toContain(n);
  expect(r.stderr).toContain("read from the config file only");
  expect(r.stderr).not.toMatch(/^\s+at \S|internal error/m);
}

beforeAll(() => {
  ensureBinary();
  w = makeWorld();
  restic(w, ["init", "-q"]);
  project = `gek${randomBytes(4).toString("hex")}`;
  stackDir = writeStack(w.stacksDir, project, { app: { volumes: ["data:/data"] } }, ["data"]);
  composeUp(stackDir);
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(stackDir, "app.conf"), `version=${i}\n`);
    const r = cli(w, ["backup", project, "--strategy", "none"]);
    expect(r.code, show(r)).toBe(0);
  }
  expect(ids().length).toBeGreaterThanOrEqual(3);
  writeFileSync(
    w.configFile,
    `${readFileSync(w.configFile, "utf8")}[security]\nCONFIRM_PASSWORD_HASH=${hashConfirmPassword(CONFIRM)}\n`,
    { mode: 0o600 },
  );
}, 300_000);

afterAll(() => {
  if (stackDir) composeDown(stackDir);
  w?.cleanup();
});

describe("with a confirmation hash, the environment cannot change what gets deleted", () => {
  it("backup with MIN_FREE_PERCENT=99 and LOW_SPACE_ACTION=prune from the environment: exit 2 naming both, the snapshot list unchanged", () => {
    const before = ids();
    const r = cli(w, ["backup", project, "--strategy", "none"], ATTACK);
    refused(r, "BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT", "BACKUP_TUI_LOCAL_BACKUP_LOW_SPACE_ACTION");
    expect(r.stderr).toContain(`Edit ${w.configFile}`);
    expect(ids()).toEqual(before);
  });

  it("the same with the confirmation password in the environment too: still refused (the file decides, not the caller)", () => {
    const before = ids();
    refused(
      cli(w, ["backup", project, "--strategy", "none"], { ...ATTACK, BACKUP_TUI_CONFIRM_PASSWORD: CONFIRM }),
      "MIN_FREE_PERCENT",
    );
    expect(ids()).toEqual(before);
  });

  it("backup --scheduled (the timer's and cron's command line) with AUTO_PRUNE and a keep-one policy from the environment: refused, unchanged", () => {
    const before = ids();
    const env = {
      BACKUP_TUI_LOCAL_BACKUP_AUTO_PRUNE: "true",
      BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST: "1",
      BACKUP_TUI_LOCAL_BACKUP_KEEP_DAILY: "0",
      BACKUP_TUI_LOCAL_BACKUP_KEEP_WEEKLY: "0",
      BACKUP_TUI_LOCAL_BACKUP_KEEP_MONTHLY: "0",
      BACKUP_TUI_LOCAL_BACKUP_KEEP_YEARLY: "0",
    };
    refused(
      cli(w, ["backup", "--scheduled", project, "--strategy", "none"], env),
      "BACKUP_TUI_LOCAL_BACKUP_AUTO_PRUNE",
      "BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST",
    );
    expect(ids()).toEqual(before);
  });

  it("forget --prune --scheduled (the PRUNE job) with MAX_REPO_SIZE=1K and HOSTNAME from the environment: refused, unchanged", () => {
    const before = ids();
    refused(
      cli(w, ["forget", "--prune", "--scheduled"], {
        BACKUP_TUI_LOCAL_BACKUP_MAX_REPO_SIZE: "1K",
        BACKUP_TUI_LOCAL_BACKUP_HOSTNAME: "other-host",
      }),
      "MAX_REPO_SIZE",
      "HOSTNAME",
    );
    expect(ids()).toEqual(before);
  });

  it("the daemon started with the attack in its environment refuses to start (its jobs would inherit it)", () => {
    writeFileSync(w.configFile, `${readFileSync(w.configFile, "utf8")}[schedule]\nBACKUP=* * * * *\n`, { mode: 0o600 });
    const before = ids();
    refused(cli(w, ["daemon"], ATTACK), "MIN_FREE_PERCENT");
    expect(ids()).toEqual(before);
  });

  it("the TUI backend's context loads the config through the same loader: refused too", async () => {
    const { openTuiContext } = await import("../../../src/tui/context");
    const saved = { ...process.env };
    Object.assign(process.env, ATTACK, { BACKUP_TUI_STATE_DIR: w.stateDir });
    try {
      expect(() => openTuiContext({ config: w.configFile })).toThrow(
        /BACKUP_TUI_LOCAL_BACKUP_MIN_FREE_PERCENT.*read from the config file only/,
      );
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it("an override of a key that decides nothing about deletion still works (STOP_TIMEOUT)", () => {
    const r = cli(w, ["--json", "config", "show"], { BACKUP_TUI_DOCKER_STOP_TIMEOUT: "7" });
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout).docker.stopTimeoutSec).toBe(7);
  });

  it("positive control: without the hash, the same environment makes backup forget snapshots (the refusals above mean something)", () => {
    writeFileSync(w.configFile, readFileSync(w.configFile, "utf8").replace(/^CONFIRM_PASSWORD_HASH=.*$/m, ""), {
      mode: 0o600,
    });
    const before = ids();
    const r = cli(w, ["backup", project, "--strategy", "none"], ATTACK);
    const after = ids();
    expect(after.filter((id) => before.includes(id)).length, show(r)).toBeLessThan(before.length);
  });
});
