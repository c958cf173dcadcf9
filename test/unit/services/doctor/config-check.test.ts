import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../../src/config/load";
import { scheduleFindings, stackSectionFindings } from "../../../../src/services/doctor/config-check";
import { checkConfigRules } from "../../../../src/services/doctor/doctor";

const REPO = "[local_backup]\nRESTIC_REPOSITORY=/mnt/repo\nRESTIC_PASSWORD_FILE=/etc/pw\n";
const NOTHING = "KEEP_DAILY=0\nKEEP_WEEKLY=0\nKEEP_MONTHLY=0\nKEEP_YEARLY=0\n";

let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), "config-check-"))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

function load(text: string) {
  const file = join(root, "config.ini");
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return loadConfig({
    flag: file,
    env: { BACKUP_TUI_STATE_DIR: join(root, "state") },
    exeDir: root,
    cwd: root,
    home: root,
    uid: 1000,
  });
}

describe("config rules: schedules that cannot succeed", () => {
  it("Given [schedule] PRUNE and no KEEP_* at all, When checked, Then nothing is flagged (the documented defaults keep snapshots)", () => {
    expect(scheduleFindings(load(`${REPO}[schedule]\nPRUNE=0 4 * * 0\n`))).toEqual([]);
  });

  it("Given PRUNE with a policy keeping nothing, When checked, Then an error names the keys and the job", () => {
    const f = scheduleFindings(load(`${REPO}${NOTHING}[schedule]\nPRUNE=0 4 * * 0\n`));
    expect(f).toEqual([
      { level: "error", message: expect.stringContaining("[local_backup] KEEP_*: the keep policy keeps no snapshot") },
    ]);
    expect(f[0].message).toContain("[schedule] PRUNE job cannot succeed");
  });

  it("Given AUTO_PRUNE and a stack whose own KEEP_* keep nothing, When checked, Then an error names that stack's section", () => {
    const f = scheduleFindings(load(`${REPO}AUTO_PRUNE=true\n[stack:web]\nKEEP_LAST=0\n${NOTHING}`));
    expect(f).toEqual([{ level: "error", message: expect.stringMatching(/^\[stack:web\] KEEP_\*.*AUTO_PRUNE/) }]);
  });

  it("Given a policy keeping nothing but nothing scheduled applies it, When checked, Then it is a warning", () => {
    expect(scheduleFindings(load(`${REPO}${NOTHING}`))).toEqual([
      { level: "warning", message: expect.stringContaining("keeps no snapshot") },
    ]);
  });

  it("Given [schedule] SYNC without [cloud_sync] RCLONE_REMOTE, When checked, Then an error names both keys", () => {
    expect(scheduleFindings(load(`${REPO}[schedule]\nSYNC=0 5 * * *\n`))).toEqual([
      {
        level: "error",
        message: expect.stringContaining("[schedule] SYNC is set but [cloud_sync] RCLONE_REMOTE is not"),
      },
    ]);
  });

  it("Given PAUSED naming no job, LOW_SPACE_ACTION=prune without MIN_FREE_PERCENT, NOTIFY_BEFORE_DELETE without PRUNE, Then one warning each", () => {
    const f = scheduleFindings(
      load(
        `${REPO}LOW_SPACE_ACTION=prune\nMAX_REPO_SIZE=1T\nNOTIFY_BEFORE_DELETE=1d\n[schedule]\nBACKUP=0 3 * * *\nPAUSED=bakup\n`,
      ),
    );
    expect(f.map((x) => x.level)).toEqual(["warning", "warning", "warning"]);
    expect(f.map((x) => x.message).join("\n")).toMatch(
      /PAUSED: "bakup" is no scheduled job[\s\S]*LOW_SPACE_ACTION=prune has no effect[\s\S]*NOTIFY_BEFORE_DELETE/,
    );
  });

  it("Given a doctor run with PRUNE keeping nothing, Then its schedules check fails naming the keys (no more 'all good')", () => {
    const c = checkConfigRules(load(`${REPO}${NOTHING}[schedule]\nPRUNE=0 4 * * 0\n`), undefined);
    expect(c).toMatchObject({
      name: "schedules",
      status: "fail",
      detail: expect.stringContaining("[local_backup] KEEP_*"),
    });
  });
});

describe("config rules: [stack:NAME] for a stack that does not exist", () => {
  const config = () => load(`${REPO}[stack:web]\nSTOP_STRATEGY=none\n[stack:wbe]\nSTOP_STRATEGY=none\n`);
  it("Given discovery found web only, Then [stack:wbe] is a warning and [stack:web] is not", () => {
    expect(stackSectionFindings(config(), ["web", "db"])).toEqual([
      { level: "warning", message: expect.stringContaining("[stack:wbe]: no stack named wbe") },
    ]);
  });

  it("Given discovery could not look, Then nothing is said", () => {
    expect(stackSectionFindings(config(), undefined)).toEqual([]);
  });
});
