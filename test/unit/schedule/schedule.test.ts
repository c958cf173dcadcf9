import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load";
import type { Config } from "../../../src/config/types";
import { ConfigError } from "../../../src/errors";
import {
  CronError,
  describe as describeSchedule,
  longestInterval,
  nextRuns,
  parseSchedule,
  toCronFields,
  toOnCalendar,
} from "../../../src/schedule/cron";
import { stacksDue } from "../../../src/schedule/due";
import { jobIdFor, jobsOf, ownScheduleStacks, WAIT, type Job } from "../../../src/schedule/jobs";
import { Scheduler } from "../../../src/schedule/scheduler";
import { cronFile, MARK, RECOVER_UNIT, systemdUnits, unitBase, type Invocation } from "../../../src/schedule/units";
import type { StackResultRow } from "../../../src/state/store";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const HOUR = 3_600_000;
const p = parseSchedule;

/** Local-time constructor: the expectations hold in whatever time zone the tests run. */
const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);
/** Tue 1 Dec 2026 03:00 local: the fixed clock most schedule tests start from. */
const FROM = at(2026, 12, 1, 3, 0);

/** The next `n` runs as local wall-clock strings "YYYY-MM-DD HH:MM:SS". */
const wall = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
const pad = (n: number) => String(n).padStart(2, "0");
const runs = (expr: string, n: number, from = FROM) => nextRuns(p(expr), n, from).map(wall);

function cronError(fn: () => unknown): CronError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CronError);
    return err as CronError;
  }
  throw new Error("expected a CronError");
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(78);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "schedule-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const REPO = "[local_backup]\nRESTIC_REPOSITORY=/mnt/repo\nRESTIC_PASSWORD_FILE=/etc/pw\n";

/** Loads a config text the way a user writes it, isolated from this machine. */
function load(text: string): Config {
  const file = join(root, "etc", "config.ini");
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return loadConfig({
    flag: file,
    env: { BACKUP_TUI_STATE_DIR: join(root, "state") },
    exeDir: join(root, "bin"),
    cwd: root,
    home: join(root, "home"),
    uid: 1000,
  });
}

/** Every schedule key set, three stacks (two with their own SCHEDULE), a cloud remote optional. */
function fullConfig(opts: { cloud?: boolean; depth?: string } = {}): Config {
  return load(
    `${REPO}VERIFICATION_DEPTH=${opts.depth ?? "files"}\n` +
      (opts.cloud ? "[cloud_sync]\nRCLONE_REMOTE=b2-backup\nRCLONE_PATH=backups/host1\n" : "") +
      "[schedule]\nBACKUP=0 3 * * *\nSYNC=0 5 * * *\nVERIFY=0 6 * * 0\nPRUNE=30 4 * * 0\nDOOMSDAY=@monthly\n" +
      "[stack:web]\nSCHEDULE=*/15 * * * *\n" +
      "[stack:db]\nSCHEDULE=0 2 * * 0\n" +
      "[stack:plain]\nSTOP_STRATEGY=pause\n",
  );
}

const job = (id: string, expr = "0 3 * * *", extra: Partial<Job> = {}): Job => ({
  id,
  kind: "backup",
  key: `[test] ${id}`,
  schedule: p(expr),
  args: ["backup", "--scheduled"],
  ...extra,
});

/** An installed job's view of us: an executable that exists (verify checks it), a config path with a space and a %. */
const INV: Invocation = {
  command: [process.execPath],
  configFile: join("/etc", "my backups", "100%.ini"),
  stopGraceSec: 360,
};

const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"], { stdio: "ignore" }).status === 0;

/** Wall-clock times (local, same zone as this process) systemd computes for these OnCalendar values. */
function systemdRuns(values: string[], n: number, from: Date): string[] {
  const out = execFileSync(
    "systemd-analyze",
    ["calendar", `--iterations=${n}`, `--base-time=@${Math.floor(from.getTime() / 1000)}`, ...values],
    { encoding: "utf8" },
  );
  const times = [...out.matchAll(/^\s*(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/gm)].map(
    (m) => m[1],
  );
  expect(times.length).toBe(n * values.length);
  return [...new Set(times)].sort().slice(0, n);
}

/** A promise resolved by hand: the fake job runner's control. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A Scheduler whose runs wait for the test: `pending` holds each started run, in order. */
function fakeScheduler() {
  const started: string[] = [];
  const pending: Array<{ id: string; signal: AbortSignal; d: ReturnType<typeof deferred<number>> }> = [];
  const skipped: Array<{ id: string; reason: string }> = [];
  const finished: Array<{ id: string; code: number | Error }> = [];
  const scheduler = new Scheduler({
    run: (j, signal) => {
      started.push(j.id);
      const d = deferred<number>();
      pending.push({ id: j.id, signal, d });
      return d.promise;
    },
    skipped: (j, reason) => skipped.push({ id: j.id, reason }),
    finished: (j, code) => finished.push({ id: j.id, code }),
  });
  return { scheduler, started, pending, skipped, finished };
}

/** Lets the scheduler's promise chains run. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

const row = (stack: string, status: StackResultRow["status"], startedAt: Date, runId = 1): StackResultRow => ({
  runId,
  stack,
  status,
  startedAt: startedAt.toISOString(),
  durationMs: 1000,
  downtimeMs: 500,
});

// ---------------------------------------------------------------------------------------------
// cron.ts
// ---------------------------------------------------------------------------------------------

describe("parseSchedule + nextRuns: croner's times from a fixed clock", () => {
  it("Given `0 3 * * *`, When asked for the next runs at 03:00, Then they are 03:00 on the following days", () => {
    expect(runs("0 3 * * *", 3)).toEqual(["2026-12-02 03:00:00", "2026-12-03 03:00:00", "2026-12-04 03:00:00"]);
    expect(runs("0 3 * * *", 1, at(2026, 12, 1, 2, 59))).toEqual(["2026-12-01 03:00:00"]);
  });

  it("Given `*/15 * * * *`, When asked at 03:07, Then runs come on the quarter hours", () => {
    expect(runs("*/15 * * * *", 4, at(2026, 12, 1, 3, 7))).toEqual([
      "2026-12-01 03:15:00",
      "2026-12-01 03:30:00",
      "2026-12-01 03:45:00",
      "2026-12-01 04:00:00",
    ]);
  });

  it("Given weekly `30 4 * * 0`, When asked on a Tuesday, Then runs are on Sundays at 04:30", () => {
    const r = nextRuns(p("30 4 * * 0"), 3, FROM);
    expect(r.map(wall)).toEqual(["2026-12-06 04:30:00", "2026-12-13 04:30:00", "2026-12-20 04:30:00"]);
    expect(r.every((d) => d.getDay() === 0)).toBe(true);
  });

  it("Given the nicknames @daily and @weekly, When parsed, Then they expand to midnight and Sunday midnight", () => {
    expect(p("@daily").fields).toEqual(["0", "0", "0", "*", "*", "*"]);
    expect(runs("@daily", 2)).toEqual(["2026-12-02 00:00:00", "2026-12-03 00:00:00"]);
    expect(p("@weekly").fields).toEqual(["0", "0", "0", "*", "*", "0"]);
    expect(runs("@weekly", 2)).toEqual(["2026-12-06 00:00:00", "2026-12-13 00:00:00"]);
    expect(p("  @DAILY ").expr).toBe("@DAILY");
  });

  it("Given a 6-field `*/5 * * * * *`, When parsed, Then seconds come first and runs are 5 s apart", () => {
    const s = p("*/5 * * * * *");
    expect(s.fields[0]).toBe("*/5");
    expect(s.second.values).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
    expect(runs("*/5 * * * * *", 3, at(2026, 12, 1, 3, 0, 2))).toEqual([
      "2026-12-01 03:00:05",
      "2026-12-01 03:00:10",
      "2026-12-01 03:00:15",
    ]);
  });

  it("Given a 5-field expression, When parsed, Then the seconds field is 0", () => {
    expect(p("0 3 * * *").fields).toEqual(["0", "0", "3", "*", "*", "*"]);
  });

  it("Given `0 2 1,15 * mon-fri`, When the runs are computed, Then day 1/15 OR a weekday matches (vixie rule)", () => {
    // Sat 31 Oct 2026 → Sun 1 Nov (day 1, a Sunday), Mon 2 … Fri 6, Mon 9 … Fri 13, Sun 15 Nov (day 15).
    const r = runs("0 2 1,15 * mon-fri", 12, at(2026, 10, 31, 12, 0));
    expect(r).toEqual([
      "2026-11-01 02:00:00",
      "2026-11-02 02:00:00",
      "2026-11-03 02:00:00",
      "2026-11-04 02:00:00",
      "2026-11-05 02:00:00",
      "2026-11-06 02:00:00",
      "2026-11-09 02:00:00",
      "2026-11-10 02:00:00",
      "2026-11-11 02:00:00",
      "2026-11-12 02:00:00",
      "2026-11-13 02:00:00",
      "2026-11-15 02:00:00",
    ]);
    expect(r).not.toContain("2026-11-07 02:00:00"); // a Saturday, not day 1 or 15
  });

  it("Given day-of-week names, ranges and 7 for Sunday, When parsed, Then the expanded values are weekday numbers", () => {
    expect(p("0 0 * * mon-fri").dow.values).toEqual([1, 2, 3, 4, 5]);
    expect(p("0 0 * * 5-7").dow.values).toEqual([0, 5, 6]);
    expect(p("0 0 * * 7").dow.values).toEqual([0]);
    expect(p("0 0 1 jan,jun *").month.values).toEqual([1, 6]);
    expect(p("0 0 * * *").dow).toMatchObject({ any: true });
  });
});

describe("parseSchedule: invalid expressions", () => {
  it("Given the wrong number of fields, When parsed, Then the CronError counts them and says what is expected", () => {
    const m4 = cronError(() => p("* * * *")).message;
    expect(m4).toContain("4 fields");
    expect(m4).toContain("5 (minute hour day month weekday)");
    expect(cronError(() => p("* * * * * * *")).message).toContain("7 fields");
  });

  it("Given minute 61, When parsed, Then the CronError names the field and the value", () => {
    const m = cronError(() => p("61 * * * *")).message;
    expect(m).toMatch(/minute/i);
    expect(m).toContain("61");
  });

  it("Given @reboot, When parsed, Then it is refused as not a schedule", () => {
    expect(cronError(() => p("@reboot")).message).toContain("@reboot is not a schedule");
  });

  it("Given an unknown nickname, When parsed, Then the CronError quotes it and lists the known ones", () => {
    const m = cronError(() => p("@nonsense")).message;
    expect(m).toContain('"@nonsense"');
    expect(m).toContain("@daily");
  });

  it("Given an empty or blank expression, When parsed, Then it is a CronError saying how many fields a cron expression has", () => {
    for (const e of ["", "   "]) expect(cronError(() => p(e)).message).toContain("a cron expression has 5");
  });

  it("Given an hour of 25 or letters, When parsed, Then croner's refusal is a CronError without its class prefix", () => {
    expect(cronError(() => p("0 25 * * *")).message).toMatch(/hour/i);
    expect(cronError(() => p("a b c d e")).message).not.toMatch(/^CronPattern/);
  });
});

describe("loadConfig: schedule keys", () => {
  it("Given every [schedule] key and a [stack:web] SCHEDULE, When loaded, Then the values are kept as written", () => {
    const c = load(
      `${REPO}[schedule]\nBACKUP=0 3 * * *\nSYNC=@daily\nVERIFY=0 6 * * 0\nPRUNE=30 4 * * 0\nDOOMSDAY=0 1 1 * *\nOVERDUE_AFTER=36h\n[stack:web]\nSCHEDULE=*/15 * * * *\n`,
    );
    expect(c.schedule).toEqual({
      backup: "0 3 * * *",
      sync: "@daily",
      verify: "0 6 * * 0",
      prune: "30 4 * * 0",
      doomsday: "0 1 1 * *",
      overdueAfter: "36h",
    });
    expect(c.stacks.web.schedule).toBe("*/15 * * * *");
  });

  it("Given a bad [schedule] BACKUP, When loaded, Then it is a config error naming the section, key and problem", () => {
    const m = configError(() => load(`${REPO}[schedule]\nBACKUP=61 * * * *\n`)).message;
    expect(m).toContain("[schedule] BACKUP");
    expect(m).toContain("not a valid cron expression");
    expect(m).toContain('"61 * * * *"');
  });

  it("Given a bad [stack:web] SCHEDULE, When loaded, Then it is a config error naming the stack section and key", () => {
    const m = configError(() => load(`${REPO}[stack:web]\nSCHEDULE=@reboot\n`)).message;
    expect(m).toContain("[stack:web] SCHEDULE");
    expect(m).toContain("@reboot is not a schedule");
  });

  it("Given two bad schedule keys, When loaded, Then both are listed", () => {
    const m = configError(() => load(`${REPO}[schedule]\nSYNC=* * *\nPRUNE=@nonsense\n`)).message;
    expect(m).toContain("2 problems");
    expect(m).toContain("[schedule] SYNC");
    expect(m).toContain("[schedule] PRUNE");
  });

  it("Given a bad OVERDUE_AFTER, When loaded, Then it is a config error", () => {
    expect(configError(() => load(`${REPO}[schedule]\nOVERDUE_AFTER=soon\n`)).message).toContain(
      "[schedule] OVERDUE_AFTER",
    );
  });
});

describe("describe(): the schedule in words", () => {
  const cases: Array<[string, string]> = [
    ["0 3 * * *", "every day at 03:00"],
    ["*/15 * * * *", "every 15 minutes"],
    ["30 4 * * 0", "every Sun at 04:30"],
    ["0 2 * * 1-5", "every Mon–Fri at 02:00"],
    ["0 0 * * 1,3,5", "every Mon, Wed, Fri at 00:00"],
    ["@daily", "every day at 00:00"],
    ["@weekly", "every Sun at 00:00"],
    ["@hourly", "every hour at :00"],
    ["15,45 * * * *", "every hour at :15, :45"],
    ["0 */6 * * *", "every 6 hours at :00"],
    ["0 3,15 * * *", "every day at 03:00, 15:00"],
    ["* * * * *", "every minute"],
    ["*/5 * * * * *", "every 5 seconds"],
    ["* * * * * *", "every second"],
    ["0 0 1 * *", "on day 1 of the month at 00:00"],
    ["0 2 1,15 * mon-fri", "on day 1, 15 of the month and every Mon–Fri at 02:00"],
    ["30 0 * jan-mar sun", "every Sun in Jan, Feb, Mar at 00:30"],
    ["*/15 * * * 1-5", "every 15 minutes on Mon–Fri"],
  ];
  it.each(cases)("Given %s, When described, Then it reads %j", (expr, words) => {
    expect(describeSchedule(p(expr))).toBe(words);
  });

  it("Given croner extensions (L, #) or too many times, When described, Then the expression itself is shown", () => {
    expect(describeSchedule(p("0 0 L * *"))).toBe("cron 0 0 L * *");
    expect(describeSchedule(p("0 0 * * 5#2"))).toBe("cron 0 0 * * 5#2");
    expect(describeSchedule(p("0 8-17/2 * * *"))).toBe("cron 0 8-17/2 * * *");
  });

  it("Given `10 * * * * *` (second 10 of every minute), When described, Then the words say it runs every minute", () => {
    expect(describeSchedule(p("10 * * * * *"))).toBe("every minute at second 10");
  });
});

describe("longestInterval", () => {
  it("Given a daily schedule, Then the longest gap is 24 h", () => {
    expect(longestInterval(p("0 3 * * *"), FROM)).toBe(24 * HOUR);
  });

  it("Given weekdays only `0 3 * * 1-5`, Then the longest gap is the weekend's 72 h", () => {
    expect(longestInterval(p("0 3 * * 1-5"), FROM)).toBe(72 * HOUR);
  });

  it("Given every 15 minutes and weekly, Then the gaps are 15 min and 168 h", () => {
    expect(longestInterval(p("*/15 * * * *"), FROM)).toBe(HOUR / 4);
    expect(longestInterval(p("30 4 * * 0"), FROM)).toBe(168 * HOUR);
  });
});

describe("toOnCalendar", () => {
  const cases: Array<[string, string[]]> = [
    ["0 3 * * *", ["*-*-* 03:00:00"]],
    ["@daily", ["*-*-* 00:00:00"]],
    ["*/15 * * * *", ["*-*-* *:00,15,30,45:00"]],
    ["30 4 * * 0", ["Sun *-*-* 04:30:00"]],
    ["@weekly", ["Sun *-*-* 00:00:00"]],
    ["0 3 * * 1-5", ["Mon,Tue,Wed,Thu,Fri *-*-* 03:00:00"]],
    ["0 0 1 1,6 *", ["*-01,06-01 00:00:00"]],
    ["0 0 1 */3 *", ["*-01,04,07,10-01 00:00:00"]],
    ["30 0 * jan-mar sun", ["Sun *-01,02,03-* 00:30:00"]],
    ["*/5 * * * * *", ["*-*-* *:*:00,05,10,15,20,25,30,35,40,45,50,55"]],
    ["0 */6 * * *", ["*-*-* 00,06,12,18:00:00"]],
    ["0 2 1,15 * mon-fri", ["*-*-01,15 02:00:00", "Mon,Tue,Wed,Thu,Fri *-*-* 02:00:00"]],
  ];

  it.each(cases)("Given %s, When converted, Then OnCalendar is %j", (expr, values) => {
    expect(toOnCalendar(p(expr))).toEqual(values);
  });

  it("Given L, W or # (croner only), When converted, Then a CronError says systemd cannot express it", () => {
    for (const e of ["0 0 L * *", "0 0 15W * *", "0 0 * * 5#2"])
      expect(cronError(() => toOnCalendar(p(e))).message).toContain("cannot be expressed as a systemd calendar");
  });

  it.skipIf(!hasSystemdAnalyze).each(cases)(
    "Given %s, When systemd-analyze computes its OnCalendar, Then the runs equal croner's",
    (expr) => {
      const from = at(2026, 10, 30, 12, 34, 7); // a Monday, off every boundary
      const n = 6;
      expect(systemdRuns(toOnCalendar(p(expr)), n, from)).toEqual(runs(expr, n, from));
    },
  );

  // A weekday range ending in "sun" (0) closes at 7, as croner reads it; 0-7 is every day.
  it("Given `0 0 * * fri-sun` (croner runs Fri, Sat, Sun), When converted, Then it is the same as `5-7`", () => {
    expect(nextRuns(p("0 0 * * fri-sun"), 3, FROM).map((d) => d.getDay())).toEqual([5, 6, 0]);
    expect(toOnCalendar(p("0 0 * * fri-sun"))).toEqual(toOnCalendar(p("0 0 * * 5-7")));
    expect(describeSchedule(p("0 0 * * fri-sun"))).toBe("every Sun, Fri, Sat at 00:00");
    expect(describeSchedule(p("0 0 * * 0-7"))).toBe("every day at 00:00");
  });
});

describe("toCronFields", () => {
  it("Given 5-field schedules and nicknames, When converted, Then the five cron fields come out", () => {
    expect(toCronFields(p("0 3 * * *"))).toBe("0 3 * * *");
    expect(toCronFields(p("0 2 1,15 * mon-fri"))).toBe("0 2 1,15 * mon-fri");
    expect(toCronFields(p("@weekly"))).toBe("0 0 * * 0");
    expect(toCronFields(p("0 0 3 * * *"))).toBe("0 3 * * *"); // 6 fields, second 0
    expect(toCronFields(p("*/15 * * * *")).split(" ")).toHaveLength(5);
  });

  it("Given a schedule with seconds, When converted, Then a CronError says cron runs at most once a minute", () => {
    expect(cronError(() => toCronFields(p("*/5 * * * * *"))).message).toContain("at most once a minute");
    expect(cronError(() => toCronFields(p("10 0 3 * * *"))).message).toContain("at most once a minute");
  });

  it("Given L, When converted, Then a CronError says cron does not understand it", () => {
    expect(cronError(() => toCronFields(p("0 0 L * *"))).message).toContain("not understood by cron");
  });
});

// ---------------------------------------------------------------------------------------------
// jobs.ts
// ---------------------------------------------------------------------------------------------

describe("jobsOf", () => {
  it("Given every schedule key and two stacks with their own SCHEDULE, Then jobs come global first, then stacks by name", () => {
    const jobs = jobsOf(fullConfig());
    expect(jobs.map((j) => j.id)).toEqual(["backup", "sync", "verify", "prune", "doomsday", "backup:db", "backup:web"]);
    expect(jobs.map((j) => j.key)).toEqual([
      "[schedule] BACKUP",
      "[schedule] SYNC",
      "[schedule] VERIFY",
      "[schedule] PRUNE",
      "[schedule] DOOMSDAY",
      "[stack:db] SCHEDULE",
      "[stack:web] SCHEDULE",
    ]);
    expect(jobs.map((j) => j.kind)).toEqual(["backup", "sync", "verify", "prune", "doomsday", "backup", "backup"]);
  });

  it("Given the config, Then each job's arguments wait an hour for a busy repository", () => {
    const byId = Object.fromEntries(jobsOf(fullConfig()).map((j) => [j.id, j]));
    expect(WAIT).toBe("1h");
    expect(byId.backup.args).toEqual(["backup", "--scheduled", "--wait", "1h"]);
    expect(byId.sync.args).toEqual(["sync", "--scheduled", "--wait", "1h"]);
    expect(byId.verify.args).toEqual(["verify", "--scheduled", "--level", "files", "--wait", "1h"]); // the depth as configured
    expect(byId.prune.args).toEqual(["forget", "--prune", "--scheduled", "--wait", "1h"]);
    expect(byId["backup:web"].args).toEqual(["backup", "--scheduled", "web", "--wait", "1h"]);
    expect(byId["backup:web"].stack).toBe("web");
    expect(byId["backup:web"].schedule.expr).toBe("*/15 * * * *");
    expect(byId.backup.stack).toBeUndefined();
    expect(byId.doomsday.args).toEqual(["backup", "--doomsday", "--scheduled", "--wait", "1h"]);
  });

  it("Given VERIFICATION_DEPTH=subset, Then verify runs at that level", () => {
    expect(jobsOf(fullConfig({ depth: "subset" })).find((j) => j.id === "verify")?.args).toEqual([
      "verify",
      "--scheduled",
      "--level",
      "subset",
      "--wait",
      "1h",
    ]);
  });

  it("Given no RCLONE_REMOTE, Then sync is unavailable and says why; doomsday runs `backup --doomsday`", () => {
    const jobs = jobsOf(fullConfig());
    expect(jobs.find((j) => j.id === "sync")?.unavailable).toContain("RCLONE_REMOTE");
    expect(jobs.find((j) => j.id === "doomsday")?.unavailable).toBeUndefined();
    expect(jobs.filter((j) => j.unavailable).map((j) => j.id)).toEqual(["sync"]);
  });

  it("Given RCLONE_REMOTE and RCLONE_PATH, Then sync and doomsday are available", () => {
    const jobs = jobsOf(fullConfig({ cloud: true }));
    expect(jobs.find((j) => j.id === "sync")?.unavailable).toBeUndefined();
    expect(jobs.filter((j) => j.unavailable).map((j) => j.id)).toEqual([]);
  });

  it("Given a target with its own SCHEDULE, Then it has its job sync:NAME (`sync --to NAME`) and the SYNC job leaves it out", () => {
    const c = load(
      `${REPO}[cloud_sync]\nRCLONE_REMOTE=b2\nRCLONE_PATH=h1\n[cloud_sync:offsite]\nMODE=append\nRCLONE_REMOTE=s3\nRCLONE_PATH=h1\nSCHEDULE=0 7 * * *\n[schedule]\nSYNC=0 5 * * *\n`,
    );
    const jobs = jobsOf(c);
    expect(jobs.map((j) => j.id)).toEqual(["sync", "sync:offsite"]);
    expect(jobs[1]).toMatchObject({
      kind: "sync",
      key: "[cloud_sync:offsite] SCHEDULE",
      args: ["sync", "--scheduled", "--to", "offsite", "--wait", "1h"],
    });
    expect(unitBase(jobs[1])).not.toContain(":");
  });

  it("Given every target with its own SCHEDULE, Then the SYNC job is unavailable and says why", () => {
    const c = load(
      `${REPO}[cloud_sync:a]\nRCLONE_REMOTE=s3\nRCLONE_PATH=h1\nSCHEDULE=0 7 * * *\n[schedule]\nSYNC=0 5 * * *\n`,
    );
    expect(jobsOf(c).find((j) => j.id === "sync")?.unavailable).toBe("every sync target has its own SCHEDULE");
  });

  it("Given RCLONE_REMOTE without RCLONE_PATH, Then the config is refused", () => {
    expect(
      configError(() => load(`${REPO}[cloud_sync]\nRCLONE_REMOTE=b2\n[schedule]\nSYNC=0 5 * * *\n`)).message,
    ).toContain("RCLONE_PATH is required");
  });

  it("Given no schedule keys, Then there are no jobs", () => {
    expect(jobsOf(load(`${REPO}[stack:web]\nSTOP_STRATEGY=pause\n`))).toEqual([]);
  });
});

describe("ownScheduleStacks and jobIdFor", () => {
  it("Given stacks with and without SCHEDULE, Then only those with one are their own", () => {
    expect([...ownScheduleStacks(fullConfig())].sort()).toEqual(["db", "web"]);
    expect(ownScheduleStacks(load(REPO)).size).toBe(0);
  });

  it("Given a scheduled command line, Then the job id is backup:NAME for one stack, else the kind", () => {
    expect(jobIdFor("backup", ["web"])).toBe("backup:web");
    expect(jobIdFor("backup")).toBe("backup");
    expect(jobIdFor("backup", ["web", "db"])).toBe("backup");
    expect(jobIdFor("sync")).toBe("sync");
    expect(jobIdFor("prune", ["web"])).toBe("prune");
  });
});

// ---------------------------------------------------------------------------------------------
// units.ts
// ---------------------------------------------------------------------------------------------

describe("systemdUnits", () => {
  const units = () => systemdUnits(jobsOf(fullConfig()), INV);
  const text = (name: string) => {
    const f = units().find((u) => u.name === name);
    expect(f, name).toBeDefined();
    return f!.text;
  };

  it("Given the jobs, Then a service and a timer per available job and the recover unit are written, each starting with MARK", () => {
    const files = units();
    expect(files.map((f) => f.name)).toEqual([
      "backup-tui-backup.service",
      "backup-tui-backup.timer",
      "backup-tui-verify.service",
      "backup-tui-verify.timer",
      "backup-tui-prune.service",
      "backup-tui-prune.timer",
      "backup-tui-doomsday.service",
      "backup-tui-doomsday.timer",
      "backup-tui-stack-db.service",
      "backup-tui-stack-db.timer",
      "backup-tui-stack-web.service",
      "backup-tui-stack-web.timer",
      RECOVER_UNIT,
    ]);
    for (const f of files) expect(f.text.startsWith(`${MARK}\n`), f.name).toBe(true);
    expect(MARK.startsWith("#")).toBe(true);
  });

  it("Given an unavailable job (sync without a remote), Then it gets no units; doomsday gets its own", () => {
    const names = units().map((f) => f.name);
    expect(names.some((n) => n.includes("sync"))).toBe(false);
    expect(names).toContain("backup-tui-doomsday.timer");
    expect(systemdUnits(jobsOf(fullConfig({ cloud: true })), INV).map((f) => f.name)).toContain(
      "backup-tui-sync.timer",
    );
  });

  it("Given a job, Then unitBase is backup-tui-ID, or backup-tui-stack-NAME for a stack's own", () => {
    const byId = Object.fromEntries(jobsOf(fullConfig()).map((j) => [j.id, j]));
    expect(unitBase(byId.backup)).toBe("backup-tui-backup");
    expect(unitBase(byId.prune)).toBe("backup-tui-prune");
    expect(unitBase(byId["backup:web"])).toBe("backup-tui-stack-web");
  });

  it("Given a config path with a space and a %, Then the service is a oneshot whose ExecStart quotes it and doubles the %", () => {
    const s = text("backup-tui-backup.service");
    expect(s).toContain("\nType=oneshot\n");
    expect(s).toContain("\nKillMode=mixed\n");
    expect(s).toContain("\nTimeoutStopSec=360\n");
    expect(s).toContain(
      `\nExecStart=${process.execPath} --config "/etc/my backups/100%%.ini" --quiet backup --scheduled --wait 1h\n`,
    );
    expect(s).toContain("\nAfter=docker.service network-online.target\n");
    expect(s).toContain("\nWants=network-online.target\n");
  });

  it("Given a stack's job, Then its ExecStart names the stack", () => {
    expect(text("backup-tui-stack-web.service")).toMatch(/^ExecStart=.* --quiet backup --scheduled web --wait 1h$/m);
  });

  it("Given a state dir from the environment with a space, Then the service sets it in a quoted Environment=", () => {
    const s = systemdUnits([job("backup")], { ...INV, stateDir: "/var/lib/my state" })[0].text;
    expect(s).toContain('\nEnvironment="BACKUP_TUI_STATE_DIR=/var/lib/my state"\n');
    expect(systemdUnits([job("backup")], INV)[0].text).not.toContain("Environment=");
  });

  it("Given the timers, Then each is Persistent, names its service and carries the OnCalendar lines", () => {
    const t = text("backup-tui-backup.timer");
    expect(t).toContain("\n[Timer]\nOnCalendar=*-*-* 03:00:00\nPersistent=true\nUnit=backup-tui-backup.service\n");
    expect(t).toContain("\nWantedBy=timers.target\n");
    expect(t).not.toContain("AccuracySec");
    expect(text("backup-tui-stack-db.timer")).toContain("\nOnCalendar=Sun *-*-* 02:00:00\n");
    expect(text("backup-tui-stack-db.timer")).toContain("\nUnit=backup-tui-stack-db.service\n");
  });

  it("Given a dom+dow schedule and a seconds schedule, Then the timer has two OnCalendar lines, and AccuracySec=1s for seconds", () => {
    const [, both] = systemdUnits([job("backup", "0 2 1,15 * mon-fri")], INV);
    expect(both.text.match(/^OnCalendar=.*$/gm)).toEqual([
      "OnCalendar=*-*-01,15 02:00:00",
      "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 02:00:00",
    ]);
    const [, secs] = systemdUnits([job("backup", "*/5 * * * * *")], INV);
    expect(secs.text).toContain("\nAccuracySec=1s\n");
  });

  it("Given the recover unit, Then it runs `recover` at boot (WantedBy=multi-user.target)", () => {
    const r = text(RECOVER_UNIT);
    expect(r).toMatch(/^ExecStart=.* --quiet recover --wait 10m$/m);
    expect(r).toContain("\nType=oneshot\n");
    expect(r).toContain("\n[Install]\nWantedBy=multi-user.target\n");
    expect(r).toContain("\nAfter=docker.service\n");
  });

  it("Given no jobs, Then only the recover unit is written", () => {
    expect(systemdUnits([], INV).map((f) => f.name)).toEqual([RECOVER_UNIT]);
  });

  describe.skipIf(!hasSystemdAnalyze)("systemd-analyze verify", () => {
    const verify = (dir: string, names: string[]) =>
      spawnSync("systemd-analyze", ["verify", ...names.map((n) => join(dir, n))], {
        encoding: "utf8",
        env: { ...process.env, SYSTEMD_LOG_COLOR: "0" },
      });
    const write = (files: Array<{ name: string; text: string }>) => {
      const dir = join(root, "units");
      mkdirSync(dir, { recursive: true });
      for (const f of files) writeFileSync(join(dir, f.name), f.text);
      return dir;
    };

    it("Given broken units (timer with OnCalendar=garbage, service without ExecStart), When verified, Then systemd-analyze refuses them (the check can fail)", () => {
      const dir = write([
        { name: "bad.timer", text: "[Unit]\nDescription=x\n[Timer]\nOnCalendar=garbage\nUnit=bad.service\n" },
        { name: "bad.service", text: "[Unit]\nDescription=x\n[Service]\nType=oneshot\n" },
      ]);
      const t = verify(dir, ["bad.timer"]);
      expect(t.status).not.toBe(0);
      expect(t.stderr).toContain("Failed to parse calendar specification");
      expect(verify(dir, ["bad.service"]).status).not.toBe(0);
    });

    it("Given a timer with one good and one garbage OnCalendar, When verified, Then the exit code is 0 but stderr reports it (why stderr is checked too)", () => {
      const dir = write([
        {
          name: "half.timer",
          text: "[Unit]\nDescription=x\n[Timer]\nOnCalendar=*-*-* 03:00:00\nOnCalendar=garbage\nUnit=half.service\n",
        },
        {
          name: "half.service",
          text: `[Unit]\nDescription=x\n[Service]\nType=oneshot\nExecStart=${process.execPath}\n`,
        },
      ]);
      const r = verify(dir, ["half.timer", "half.service"]);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/Failed to parse calendar specification, ignoring: garbage/);
    });

    it("Given the written units (every job kind, a stack, dom+dow, seconds, a state dir), When verified, Then systemd-analyze accepts them without warnings", () => {
      const jobs = [
        ...jobsOf(fullConfig({ cloud: true })),
        job("every5s", "*/5 * * * * *"),
        job("either", "0 2 1,15 * mon-fri"),
      ];
      const files = systemdUnits(jobs, { ...INV, stateDir: "/var/lib/my state" });
      const dir = write(files);
      const r = verify(
        dir,
        files.map((f) => f.name),
      );
      expect(r.stderr).not.toMatch(/Failed to parse|ignoring|Unknown key|bad unit file setting|not executable/i);
      expect(r.status, r.stderr).toBe(0);
    });
  });
});

describe("cronFile", () => {
  const file = () => cronFile(jobsOf(fullConfig()), INV, "root");
  const lines = (t: string) => t.split("\n");

  it("Given the jobs, Then the file starts with MARK, sets SHELL and PATH and ends with a newline", () => {
    const t = file();
    expect(t.startsWith(`${MARK}\n`)).toBe(true);
    expect(lines(t)).toContain("SHELL=/bin/sh");
    expect(t.endsWith("\n")).toBe(true);
  });

  it("Given the jobs, Then each available job is one line: five fields, the user, shell-quoted args with \\% escaped", () => {
    const l = lines(file());
    const exe = process.execPath;
    expect(l).toContain(
      `0 3 * * * root ${exe} --config '/etc/my backups/100\\%.ini' --quiet backup --scheduled --wait 1h >/dev/null`,
    );
    expect(l).toContain(
      `30 4 * * 0 root ${exe} --config '/etc/my backups/100\\%.ini' --quiet forget --prune --scheduled --wait 1h >/dev/null`,
    );
    expect(l).toContain(
      `*/15 * * * * root ${exe} --config '/etc/my backups/100\\%.ini' --quiet backup --scheduled web --wait 1h >/dev/null`,
    );
    expect(l).toContain("# backup: every day at 03:00 ([schedule] BACKUP = 0 3 * * *)");
  });

  it("Given the jobs, Then boot-time recovery is an @reboot line for the same user", () => {
    expect(lines(file())).toContain(
      `@reboot root ${process.execPath} --config '/etc/my backups/100\\%.ini' --quiet recover --wait 10m >/dev/null`,
    );
    expect(lines(cronFile([], INV, "backup")).filter((x) => x.startsWith("@reboot backup "))).toHaveLength(1);
  });

  it("Given unavailable jobs, Then they have no line", () => {
    const t = file();
    expect(t).not.toMatch(/ sync --scheduled/);
    expect(t).toMatch(/ backup --doomsday --scheduled --wait 1h /);
    expect(cronFile(jobsOf(fullConfig({ cloud: true })), INV, "root")).toMatch(
      /^0 5 \* \* \* root .* sync --scheduled --wait 1h >\/dev\/null$/m,
    );
  });

  it("Given a single quote in an argument and a state dir, Then sh quoting keeps them whole", () => {
    const t = cronFile(
      [job("backup")],
      { command: ["/opt/it's/backup-tui"], stateDir: "/var/lib/st ate", stopGraceSec: 60 },
      "root",
    );
    expect(lines(t)).toContain(
      "0 3 * * * root BACKUP_TUI_STATE_DIR='/var/lib/st ate' '/opt/it'\\''s/backup-tui' --quiet backup --scheduled >/dev/null",
    );
  });

  it("Given a job with seconds, Then the cron file is refused with a CronError", () => {
    expect(cronError(() => cronFile([job("fast", "*/5 * * * * *")], INV, "root")).message).toContain(
      "at most once a minute",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// scheduler.ts
// ---------------------------------------------------------------------------------------------

describe("Scheduler", () => {
  const A = job("a");
  const B = job("b");
  const C = job("c");

  it("Given three jobs fired at once, Then they run one at a time in FIFO order", async () => {
    const { scheduler, started, pending, finished } = fakeScheduler();
    scheduler.fire(A);
    scheduler.fire(B);
    scheduler.fire(C);
    expect(started).toEqual(["a"]);
    expect(scheduler.state()).toEqual({ running: "a", queued: ["b", "c"] });
    pending[0].d.resolve(0);
    await settle();
    expect(started).toEqual(["a", "b"]);
    pending[1].d.resolve(3);
    await settle();
    expect(started).toEqual(["a", "b", "c"]);
    pending[2].d.resolve(0);
    await scheduler.idle();
    expect(finished).toEqual([
      { id: "a", code: 0 },
      { id: "b", code: 3 },
      { id: "c", code: 0 },
    ]);
    expect(scheduler.state()).toEqual({ running: undefined, queued: [] });
  });

  it("Given a job fired while it runs, Then the second firing is skipped with a reason", async () => {
    const { scheduler, started, pending, skipped } = fakeScheduler();
    scheduler.fire(A);
    scheduler.fire(A);
    expect(started).toEqual(["a"]);
    expect(skipped).toEqual([{ id: "a", reason: "its previous run was still running" }]);
    expect(scheduler.state().queued).toEqual([]);
    pending[0].d.resolve(0);
    await scheduler.idle();
    expect(started).toEqual(["a"]);
  });

  it("Given a job fired while it waits in the queue, Then the second firing is skipped", async () => {
    const { scheduler, pending, skipped, started } = fakeScheduler();
    scheduler.fire(A);
    scheduler.fire(B);
    scheduler.fire(B);
    expect(skipped).toEqual([{ id: "b", reason: "its previous run was still waiting for its turn" }]);
    expect(scheduler.state().queued).toEqual(["b"]);
    pending[0].d.resolve(0);
    await settle();
    pending[1].d.resolve(0);
    await scheduler.idle();
    expect(started).toEqual(["a", "b"]);
  });

  it("Given a job that finished, When fired again, Then it runs again (no skip)", async () => {
    const { scheduler, pending, skipped, started } = fakeScheduler();
    scheduler.fire(A);
    pending[0].d.resolve(0);
    await scheduler.idle();
    scheduler.fire(A);
    expect(started).toEqual(["a", "a"]);
    expect(skipped).toEqual([]);
    pending[1].d.resolve(0);
    await scheduler.idle();
  });

  it("Given a job whose run rejects, Then finished gets the error and the next job still runs", async () => {
    const { scheduler, pending, finished, started } = fakeScheduler();
    scheduler.fire(A);
    scheduler.fire(B);
    const boom = new Error("boom");
    pending[0].d.reject(boom);
    await settle();
    expect(started).toEqual(["a", "b"]);
    pending[1].d.resolve(0);
    await scheduler.idle();
    expect(finished).toEqual([
      { id: "a", code: boom },
      { id: "b", code: 0 },
    ]);
  });

  it("Given a running job and a queue, When stopped, Then the run's signal aborts, the queue is dropped and returned, and stop waits for the run", async () => {
    const { scheduler, pending, started, finished } = fakeScheduler();
    scheduler.fire(A);
    scheduler.fire(B);
    scheduler.fire(C);
    expect(pending[0].signal.aborted).toBe(false);
    let stopped: string[] | undefined;
    const stopping = scheduler.stop().then((d) => (stopped = d));
    await settle();
    expect(pending[0].signal.aborted).toBe(true);
    expect(stopped).toBeUndefined(); // still waiting for "a"
    pending[0].d.resolve(143);
    await stopping;
    expect(stopped).toEqual(["b", "c"]);
    expect(started).toEqual(["a"]);
    expect(finished).toEqual([{ id: "a", code: 143 }]);
    await scheduler.idle();
  });

  it("Given a stopped scheduler, When a job fires, Then nothing runs or is skipped", async () => {
    const { scheduler, started, skipped } = fakeScheduler();
    expect(await scheduler.stop()).toEqual([]);
    scheduler.fire(A);
    expect(started).toEqual([]);
    expect(skipped).toEqual([]);
    expect(scheduler.state()).toEqual({ running: undefined, queued: [] });
  });

  it("Given an unavailable job, When scheduled, Then no timer is armed for it", async () => {
    const { scheduler } = fakeScheduler();
    scheduler.schedule([job("a", "0 3 * * *"), job("u", "0 3 * * *", { unavailable: "not here" })]);
    const next = scheduler.nextRuns();
    expect(next.map((n) => n.id)).toEqual(["a"]);
    expect(next[0].next?.getHours()).toBe(3);
    await scheduler.stop();
    expect(scheduler.nextRuns()).toEqual([]);
  });

  it("Given a job every second, When scheduled for real, Then it runs at least twice within 3.5 s, and not after stop", async () => {
    const ran: number[] = [];
    const scheduler = new Scheduler({
      run: async () => {
        ran.push(Date.now());
        return 0;
      },
      skipped: () => {},
    });
    scheduler.schedule([job("tick", "* * * * * *")]);
    const deadline = Date.now() + 3500;
    while (ran.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await scheduler.stop();
    expect(ran.length).toBeGreaterThanOrEqual(2);
    const count = ran.length;
    await new Promise((r) => setTimeout(r, 1100));
    expect(ran.length).toBe(count);
  });
});

// ---------------------------------------------------------------------------------------------
// due.ts
// ---------------------------------------------------------------------------------------------

describe("stacksDue", () => {
  const NOW = at(2026, 12, 1, 12, 0); // Tue 12:00 local
  const ago = (h: number) => new Date(NOW.getTime() - h * HOUR);
  const good = (stack: string, hoursAgo: number) => ({
    last: row(stack, "succeeded", ago(hoursAgo)),
    lastGood: row(stack, "succeeded", ago(hoursAgo)),
  });
  const daily = (extra = "") => load(`${REPO}[schedule]\nBACKUP=0 3 * * *\n${extra}`);

  it("Given a daily schedule and a last good backup 30 h old, Then the stack is not overdue (threshold 48 h)", () => {
    const [d] = stacksDue(daily(), ["web"], new Map([["web", good("web", 30)]]), NOW);
    expect(d).toMatchObject({
      stack: "web",
      job: "backup",
      schedule: "0 3 * * *",
      thresholdMs: 48 * HOUR,
      overdue: false,
      lastStatus: "succeeded",
      lastGood: ago(30).toISOString(),
    });
  });

  it("Given a daily schedule and a last good backup 50 h old, Then the stack is overdue", () => {
    expect(stacksDue(daily(), ["web"], new Map([["web", good("web", 50)]]), NOW)[0].overdue).toBe(true);
  });

  it("Given OVERDUE_AFTER=36h, Then it replaces twice the interval", () => {
    const c = daily("OVERDUE_AFTER=36h\n");
    expect(stacksDue(c, ["web"], new Map([["web", good("web", 30)]]), NOW)[0]).toMatchObject({
      thresholdMs: 36 * HOUR,
      overdue: false,
    });
    expect(stacksDue(c, ["web"], new Map([["web", good("web", 37)]]), NOW)[0]).toMatchObject({
      thresholdMs: 36 * HOUR,
      overdue: true,
    });
  });

  it("Given a stack tried but never backed up well, Then it is overdue at once", () => {
    const [d] = stacksDue(daily(), ["web"], new Map([["web", { last: row("web", "failed", ago(1)) }]]), NOW);
    expect(d).toMatchObject({ overdue: true, lastStatus: "failed", lastGood: undefined });
  });

  it("Given a stack whose newest attempt failed but an older one was good and recent, Then it is not overdue and shows the failure", () => {
    const [d] = stacksDue(
      daily(),
      ["web"],
      new Map([["web", { last: row("web", "failed", ago(2), 2), lastGood: row("web", "succeeded", ago(26)) }]]),
      NOW,
    );
    expect(d).toMatchObject({ overdue: false, lastStatus: "failed", lastGood: ago(26).toISOString() });
  });

  it("Given a stack never tried, Then it is not overdue", () => {
    const [d] = stacksDue(daily(), ["web"], new Map(), NOW);
    expect(d).toMatchObject({ stack: "web", overdue: false, lastGood: undefined, lastStatus: undefined });
  });

  it("Given a stack with its own weekly SCHEDULE, Then its job is backup:NAME and it is measured against its own interval", () => {
    const c = daily("[stack:db]\nSCHEDULE=0 2 * * 0\n");
    const [d] = stacksDue(c, ["db"], new Map([["db", good("db", 100)]]), NOW);
    expect(d).toMatchObject({
      stack: "db",
      job: "backup:db",
      schedule: "0 2 * * 0",
      thresholdMs: 2 * 168 * HOUR,
      overdue: false,
    });
    expect(d.next).toBe(at(2026, 12, 6, 2, 0).toISOString());
  });

  it("Given enabled stacks, one enabled with its own schedule, one with its own schedule but disabled, and a configured stack neither, Then only the enabled ones are listed, sorted", () => {
    const c = daily(
      "[stack:db]\nSCHEDULE=0 2 * * 0\n[stack:off]\nSCHEDULE=0 1 * * *\n[stack:idle]\nSTOP_STRATEGY=pause\n",
    );
    const due = stacksDue(c, ["web", "app", "db"], new Map(), NOW);
    expect(due.map((d) => [d.stack, d.job])).toEqual([
      ["app", "backup"],
      ["db", "backup:db"],
      ["web", "backup"],
    ]);
  });

  it("Given no [schedule] BACKUP, Then enabled stacks without their own schedule are left out", () => {
    const c = load(`${REPO}[stack:db]\nSCHEDULE=0 2 * * 0\n`);
    expect(stacksDue(c, ["web", "db"], new Map(), NOW).map((d) => d.stack)).toEqual(["db"]);
  });

  it("Given now, Then next is the schedule's next run after now", () => {
    expect(stacksDue(daily(), ["web"], new Map(), NOW)[0].next).toBe(at(2026, 12, 2, 3, 0).toISOString());
    expect(stacksDue(daily(), ["web"], new Map(), at(2026, 12, 1, 2, 0))[0].next).toBe(
      at(2026, 12, 1, 3, 0).toISOString(),
    );
  });
});
