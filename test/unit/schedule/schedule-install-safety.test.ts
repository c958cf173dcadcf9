import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors";
import type { Runner } from "../../../src/exec/runner";
import { parseSchedule } from "../../../src/schedule/cron";
import { CRON_FILE, installCron, installSystemd, uninstallSchedules } from "../../../src/schedule/install";
import type { Job } from "../../../src/schedule/jobs";
import { cronFile, systemdUnits, type Invocation } from "../../../src/schedule/units";

const job = (id: string, args = ["backup", "--scheduled"]): Job => ({
  id,
  kind: "backup",
  key: `[schedule] BACKUP`,
  schedule: parseSchedule("0 3 * * *"),
  args,
});
const INV: Invocation = {
  command: ["/usr/local/bin/backup-tui"],
  configFile: "/etc/backup-tui/config.ini",
  stopGraceSec: 360,
};
/** systemctl must never run here: these directories are not systemd's. */
const noRunner = { run: () => Promise.reject(new Error("systemctl called")) } as unknown as Runner;

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error("expected a refusal");
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sched-safety-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("control characters never reach a unit or a cron line", () => {
  it.each([
    ["a newline", "/etc/b\nExecStartPre=/bin/rm -rf /", "\\n"],
    ["a carriage return", "/etc/b\r.ini", "\\r"],
    ["a tab", "/etc/b\t.ini", "\\t"],
    ["an escape", "/etc/b\u001b[31m.ini", "\\u001b"],
  ])(
    "Given a config path with %s, When units or cron lines are rendered, Then 78 names the path with its escapes, and nothing raw",
    (_, path, escaped) => {
      for (const render of [
        () => systemdUnits([job("backup")], { ...INV, configFile: path }),
        () => cronFile([job("backup")], { ...INV, configFile: path }, "root"),
      ]) {
        const e = refusal(render);
        expect(e.exitCode).toBe(78);
        expect(e.message).toContain("the config file path");
        expect(e.message).toContain(escaped);
        expect(e.message).not.toMatch(/[\u0000-\u001f]/);
      }
    },
  );

  it("Given the executable's path or the state dir with a newline, Then 2 (executable) and 78 (state dir)", () => {
    expect(refusal(() => systemdUnits([job("backup")], { ...INV, command: ["/opt/x\n/backup-tui"] })).exitCode).toBe(2);
    expect(
      refusal(() => cronFile([job("backup")], { ...INV, command: ["/opt/x\n/backup-tui"] }, "root")).message,
    ).toContain('"/opt/x\\n/backup-tui"');
    const s = refusal(() => systemdUnits([job("backup")], { ...INV, stateDir: "/var/lib/s\nx" }));
    expect([s.exitCode, s.message]).toEqual([78, expect.stringContaining("BACKUP_TUI_STATE_DIR")]);
    expect(refusal(() => cronFile([job("backup")], { ...INV, stateDir: "/var/lib/s\nx" }, "root")).exitCode).toBe(78);
  });

  it("Given --dir with a newline, When installing either kind, Then 2 naming --dir, and nothing is written", async () => {
    const dir = join(root, "units\nx");
    await expect(installSystemd(systemdUnits([job("backup")], INV), dir, noRunner)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('--dir "'),
    });
    expect(refusal(() => installCron(cronFile([job("backup")], INV, "root"), dir)).exitCode).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });

  it("Given a % in the config path and the state dir, Then systemd gets %% (its specifiers) and cron \\% (its newline)", () => {
    const inv = { ...INV, configFile: "/etc/100%/b.ini", stateDir: "/var/lib/50%h" };
    const [service, timer] = systemdUnits([job("backup")], inv);
    expect(service.text).toContain(
      "\nExecStart=/usr/local/bin/backup-tui --config /etc/100%%/b.ini --quiet backup --scheduled\n",
    );
    expect(service.text).toContain("\nEnvironment=BACKUP_TUI_STATE_DIR=/var/lib/50%%h\n");
    // Every % left in a unit is doubled: none stands alone.
    for (const f of [service, timer])
      expect(f.text.split("\n").filter((l) => l.replace(/%%/g, "").includes("%"))).toEqual([]);
    const cron = cronFile([job("backup")], inv, "root");
    expect(cron).toContain(
      "0 3 * * * root BACKUP_TUI_STATE_DIR='/var/lib/50\\%h' /usr/local/bin/backup-tui --config '/etc/100\\%/b.ini' --quiet backup --scheduled >/dev/null",
    );
    expect(cron.replace(/\\%/g, "")).not.toContain("%");
  });
});

describe("schedule uninstall finds what install wrote", () => {
  const write = async () => {
    const dir = join(root, "out");
    await installSystemd(systemdUnits([job("backup")], INV), dir, noRunner);
    return dir;
  };

  it("Given systemd units installed with --dir, When uninstalled with --dir and no kind flag, Then they are removed (a foreign file stays)", async () => {
    const dir = await write();
    writeFileSync(join(dir, "backup-tui-mine.service"), "[Unit]\n");
    expect(readdirSync(dir).filter((n) => n.startsWith("backup-tui-backup"))).toHaveLength(2);
    const r = await uninstallSchedules({ dir }, noRunner);
    expect(r.removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      "backup-tui-backup.service",
      "backup-tui-backup.timer",
      "backup-tui-recover.service",
    ]);
    expect(readdirSync(dir)).toEqual(["backup-tui-mine.service"]);
  });

  it("Given a cron file installed with --dir, When uninstalled with --dir and no kind flag, Then it is removed", async () => {
    const dir = join(root, "cron");
    installCron(cronFile([job("backup")], INV, "root"), dir);
    const r = await uninstallSchedules({ dir }, noRunner);
    expect(r.removed).toEqual([join(dir, CRON_FILE)]);
    expect(existsSync(join(dir, CRON_FILE))).toBe(false);
  });

  it("Given units in DIR, When uninstalled with --cron --dir DIR, Then nothing is removed and the flag that finds them is named", async () => {
    const dir = await write();
    const r = await uninstallSchedules({ dir, cron: true }, noRunner);
    expect(r.removed).toEqual([]);
    expect(r.otherKind).toMatchObject({
      flag: "--systemd",
      found: expect.arrayContaining([join(dir, "backup-tui-backup.timer")]),
    });
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it("Given an empty DIR, Then nothing is removed and DIR is the one searched", async () => {
    const dir = join(root, "empty");
    mkdirSync(dir);
    const r = await uninstallSchedules({ dir }, noRunner);
    expect(r).toMatchObject({ removed: [], searched: [dir] });
    expect(r.otherKind).toBeUndefined();
  });
});
