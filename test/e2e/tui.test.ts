import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, makeWorld, restic, type TestWorld } from "../helpers/env";
import { remoteEnv } from "../helpers/servers";
import { composeDown, composeUp, containerStates, volumeMountpoint, writeStack } from "../helpers/stacks";
import { tmuxServer, waitExitFile, waitForText } from "../helpers/tmux";
import { hashConfirmPassword } from "../../src/security/confirm-hash";

// The TUI as a person sees it: the compiled binary in a real terminal (tmux), driven by keys.
// Our own tmux server (-L), so nothing else running tmux is touched; killed at the end.
const { tmux, kill: killTmux } = tmuxServer("btui-e2e");

let world: TestWorld;
let bin: string;
let stackDir: string;
const STACK = "tuiweb";
const CONFIRM = "tui-e2e-Confirm-77";
/** Every pane captured, so no frame ever showing a password can slip by. */
const seen: string[] = [];

/** Starts the TUI in a tmux session; an undefined value in extraEnv removes that variable. */
function start(
  session: string,
  extraEnv: Record<string, string | undefined> = {},
  exitFile = join(world.dir, `${session}.exit`),
): string {
  const env = { BACKUP_TUI_CONFIG: world.configFile, BACKUP_TUI_STATE_DIR: world.stateDir, ...extraEnv };
  const entries = Object.entries(env);
  const assigns = [
    ...entries.filter(([, v]) => v === undefined).map(([k]) => `-u ${k}`), // env takes options before assignments
    ...entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}='${v}'`),
  ].join(" ");
  // After the TUI exits the shell records the code, then prints the terminal mode into the pane.
  const script = `env ${assigns} ${bin} 2> ${exitFile}.stderr; echo EXIT=$? > ${exitFile}; stty -a; sleep 120`;
  tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "sh", "-c", script);
  return exitFile;
}

const pane = (session: string, escapes = false) => {
  const p = tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", session);
  seen.push(p);
  return p;
};
const keys = (session: string, ...k: string[]) => tmux("send-keys", "-t", session, ...k);

const waitFor = (session: string, re: RegExp, ms = 20_000) => waitForText(() => pane(session), re, ms, 20);

const waitExit = (file: string, ms = 120_000) => waitExitFile(file, ms);

beforeAll(() => {
  bin = ensureBinary();
  // A schedule, so the dashboard and the Schedules screen have something to show.
  world = makeWorld("[schedule]\nBACKUP=0 3 * * *");
  stackDir = writeStack(world.stacksDir, STACK, { app: { volumes: ["data:/data"] } }, ["data"]);
  composeUp(stackDir);
  restic(world, ["init"]);
  // A file the restore test puts back; a confirmation password; a cloud remote (a local rclone directory).
  writeFileSync(join(volumeMountpoint(`${STACK}_data`), "note.txt"), "original\n");
  mkdirSync(join(world.dir, "cloud"));
  appendFileSync(
    world.configFile,
    `[security]\nCONFIRM_PASSWORD_HASH=${hashConfirmPassword(CONFIRM)}\n[cloud_sync]\nRCLONE_REMOTE=cloud\nRCLONE_PATH=${join(world.dir, "cloud")}\n`,
  );
});

afterAll(() => {
  killTmux();
  if (stackDir) composeDown(stackDir);
  world?.cleanup();
});

describe("the TUI in a terminal", () => {
  it("Given a running stack, When the TUI is driven by keys, Then it enables the stack, backs it up, and quits with 0 restoring the terminal", async () => {
    const started = Date.now();
    const exitFile = start("main", { NO_COLOR: "1" });
    await waitFor("main", /\[1 Dashboard\]/, 5000);
    const firstFrame = Date.now() - started;
    let f = await waitFor("main", new RegExp(`${STACK}\\s+running\\s+no\\s+never\\s+-\\s+0`));
    const stacksShown = Date.now() - started;
    console.log(`TUI in tmux: first frame ${firstFrame} ms, stacks discovered ${stacksShown} ms`);
    expect(f).toContain("q/Esc quit");
    // NO_COLOR: not one colour or style escape in the frame.
    expect(pane("main", true)).not.toMatch(/\u001B\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|4[0-7]|7)m/);

    // Stack selection: toggle it on; the dirlist file changes at once.
    keys("main", "2");
    f = await waitFor("main", new RegExp(`\\[ \\] ${STACK}`));
    const row = f
      .split("\n")
      .filter((l) => /\[[ x]\] /.test(l))
      .findIndex((l) => l.includes(STACK));
    keys("main", ...Array(row).fill("Down"), "Space");
    await waitFor("main", new RegExp(`\\[x\\] ${STACK}`));
    expect(readFileSync(join(world.dir, "dirlist"), "utf8")).toMatch(new RegExp(`^\\+${STACK}$`, "m"));

    // Back up the enabled stacks: confirm, watch it finish.
    keys("main", "q");
    await waitFor("main", /\[1 Dashboard\]/);
    keys("main", "b");
    await waitFor("main", /Back up the stacks enabled in the dirlist\?/);
    keys("main", "Enter");
    f = await waitFor("main", /Run #\d+ (succeeded|partial|failed)/, 120_000);
    expect(f).toMatch(/Run #\d+ succeeded \(exit 0\)/);
    const snapId = new RegExp(`${STACK}\\s+succeeded\\s+\\S+\\s+.+?\\s([0-9a-f]{8})\\s*$`, "m").exec(f)?.[1];
    expect(snapId).toBeTruthy();
    const snaps = JSON.parse(restic(world, ["snapshots", "--json", "--tag", `stack:${STACK}`])) as Array<{
      short_id: string;
      tags: string[];
    }>;
    expect(snaps.map((s) => s.short_id)).toContain(snapId);
    expect(Object.values(containerStates(STACK))).toEqual(["running"]);

    // Snapshots: the new one is listed; its tree opens.
    keys("main", "4");
    await waitFor("main", new RegExp(`› ${snapId}`));
    keys("main", "Enter");
    await waitFor("main", /R restore in place\s+t restore to dir/);

    // q closes the tree, q goes to the dashboard.
    keys("main", "q");
    await waitFor("main", /latest 5 per stack/);
    keys("main", "q");
    // Enabled and covered by [schedule] BACKUP: its next run is shown (once the dashboard has reloaded).
    f = await waitFor("main", new RegExp(`${STACK}\\s+running\\s+yes\\s+\\d+[sm] ago succeeded\\s+in \\d+[smh]\\s+1`));
    expect(f).toContain("[1 Dashboard]");

    // History: the run, manual (the CLI's word); Enter shows its stack with the snapshot.
    keys("main", "6");
    f = await waitFor("main", new RegExp(`^› \\d+\\s+backup\\s+.*manual\\s+succeeded\\s+0\\s+${STACK}:ok`, "m"));
    keys("main", "Enter");
    f = await waitFor("main", /Run #\d+ · backup · succeeded \(exit 0\) · manual/);
    expect(f).toMatch(new RegExp(`^› ${STACK}\\s+succeeded\\s+.*\\s${snapId}`, "m"));
    keys("main", "q");
    await waitFor("main", /all runs · \d+ shown/);

    // Schedules: the [schedule] BACKUP job in words; it has not run yet (the backup above was by hand).
    keys("main", "5");
    f = await waitFor("main", /1 job\(s\)/);
    expect(f).toMatch(/› backup\s+0 3 \* \* \*\s+every day at 03:00\s+never\s+in \d+[smh]\s+yes/);
    keys("main", "q");
    await waitFor("main", /\[1 Dashboard\]/);
    keys("main", "q");
    expect(await waitExit(exitFile)).toBe(0);
    f = await waitFor("main", /speed/);
    expect(f).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(f).toMatch(/(^|\s)echo(\s|$)/m);
    // No log line or warning on stderr while it ran (Ink's cursor restore, a control sequence, is all).
    expect(readFileSync(`${exitFile}.stderr`, "utf8").replace(/\u001B\[[?0-9;]*[A-Za-z]/g, "")).toBe("");
  });

  it("Given a snapshot, When a file is restored with the password gate, a sync and a verify are run, a run's log is read and a job paused, Then the file is back, the password never shows, and it quits with 0", async () => {
    const note = join(volumeMountpoint(`${STACK}_data`), "note.txt");
    writeFileSync(note, "changed\n");
    const started = Date.now();
    const exitFile = start("restore", { NO_COLOR: "1", ...remoteEnv("cloud", "local") });
    await waitFor("restore", new RegExp(`${STACK}\\s+running\\s+yes`));
    keys("restore", "4");
    await waitFor("restore", /› [0-9a-f]{8}\s/);
    keys("restore", "Enter");
    // Walk the tree down to note.txt: each level, find the next name on the path and step onto it.
    for (let depth = 0; ; depth++) {
      // The header, then the first row under the cursor (not "indexing…").
      const f = await waitFor("restore", /· \/\S*\n› \S/);
      const dir = /· (\/\S*)\n/.exec(f)![1];
      const rest = note.slice(dir === "/" ? 1 : dir.length + 1).split("/");
      expect(note.startsWith(dir === "/" ? "/" : `${dir}/`) && depth < 12).toBe(true);
      const rows = f
        .split("\n")
        .filter((l) => /^[› ] \S/.test(l))
        .map((l) => l.slice(2).split(/\s+/)[0].replace(/\/$/, ""));
      const at = rows.indexOf(rest[0]);
      expect(at, `${rest[0]} not in ${JSON.stringify(rows)}:\n${f}`).toBeGreaterThanOrEqual(0);
      if (at) keys("restore", ...Array(at).fill("Down"));
      await waitFor("restore", new RegExp(`^› ${rest[0].replace(/\./g, "\\.")}`, "m"));
      if (rest.length === 1) break;
      keys("restore", "Enter");
      await waitFor("restore", new RegExp(`· ${dir === "/" ? "" : dir}/${rest[0]}\n`));
    }

    // R: the confirmation names the live file and the container it stops; then the password, masked.
    keys("restore", "R");
    let f = await waitFor("restore", /Enter\/y continue \(asks the confirmation password\)/, 30_000);
    expect(f).toContain(note);
    expect(f).toMatch(new RegExp(`It STOPS ${STACK}-app-1 while it writes`));
    keys("restore", "Enter");
    await waitFor("restore", /confirmation password:/);
    keys("restore", "-l", "wrong-Guess-42");
    await waitFor("restore", /confirmation password: \*{14}/);
    keys("restore", "Enter");
    await waitFor("restore", /wrong confirmation password; nothing was changed/);
    expect(readFileSync(note, "utf8")).toBe("changed\n");
    keys("restore", "-l", CONFIRM);
    await waitFor("restore", new RegExp(`confirmation password: \\*{${CONFIRM.length}}`));
    keys("restore", "Enter");
    f = await waitFor("restore", /restore (finished|did not complete)/, 90_000);
    expect(f).toMatch(/restore finished in/);
    expect(f).toContain(`restored ${note} of stack ${STACK}`);
    expect(f).toMatch(/safety snapshot [0-9a-f]{8} \(kind:pre-restore\)/);
    expect(readFileSync(note, "utf8")).toBe("original\n");
    expect(Object.values(containerStates(STACK))).toEqual(["running"]);
    const restoredAt = Date.now();

    // s: sync to the cloud directory; v: verify; both finish with their summary.
    keys("restore", "s");
    f = await waitFor("restore", /sync (finished|did not complete)/, 60_000);
    expect(f).toMatch(/sync finished in .*\n.*\n.*synced to cloud:/);
    expect(existsSync(join(world.dir, "cloud", "config"))).toBe(true);
    keys("restore", "v");
    f = await waitFor("restore", /verify (finished|did not complete)/, 60_000);
    expect(f).toMatch(/verified \S+: metadata OK/);
    console.log(
      `TUI e2e: restore through the gate ${restoredAt - started} ms, sync + verify ${Date.now() - restoredAt} ms`,
    );

    // History: the sync run (below the verify) and its log, read back from backup-tui.log.
    keys("restore", "6");
    await waitFor("restore", /^› \d+\s+verify\s/m);
    keys("restore", "Down", "Enter");
    await waitFor("restore", /Run #\d+ · sync · succeeded/);
    keys("restore", "l");
    f = await waitFor("restore", /Run #\d+ · sync · log \([1-9]\d* line/);
    expect(f).toMatch(/\d\d:\d\d:\d\d (check-local|transfer|compare)/);
    // Only the sync's own lines: the restore just before it ran in the same process.
    expect(f).not.toMatch(/restoring|safety-snapshot/);

    // One key at a time: each q closes one pane.
    keys("restore", "q");
    await waitFor("restore", /Run #\d+ · sync · succeeded/);
    keys("restore", "q");
    await waitFor("restore", /all runs · \d+ shown/);
    keys("restore", "q");
    await waitFor("restore", /\[1 Dashboard\]/);

    // Schedules: Space pauses the backup job in the config file itself; Space again resumes it.
    keys("restore", "5");
    await waitFor("restore", /› backup\s+0 3 \* \* \*.*yes/);
    keys("restore", "Space");
    await waitFor("restore", /› backup\s+0 3 \* \* \*.*no: paused/);
    expect(readFileSync(world.configFile, "utf8")).toMatch(/^\[schedule\]\nPAUSED=backup\nBACKUP=0 3 \* \* \*$/m);
    keys("restore", "Space");
    await waitFor("restore", /› backup\s+0 3 \* \* \*.*yes/);
    expect(readFileSync(world.configFile, "utf8")).toMatch(/^PAUSED=$/m);
    keys("restore", "q");
    await waitFor("restore", /\[1 Dashboard\]/);
    keys("restore", "q");
    expect(await waitExit(exitFile)).toBe(0);
    f = await waitFor("restore", /speed/);
    expect(f).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(f).toMatch(/(^|\s)echo(\s|$)/m);
    for (const p of seen) {
      expect(p).not.toContain(CONFIRM);
      expect(p).not.toContain("wrong-Guess-42");
    }
    expect(readFileSync(`${exitFile}.stderr`, "utf8").replace(/\u001B\[[?0-9;]*[A-Za-z]/g, "")).toBe("");
  });

  it("Given a terminal with colours, When NO_COLOR is not set, Then the frame does use colour (so the NO_COLOR check above means something)", async () => {
    // CI=true (as on the CI machine) makes chalk drop colour even on a terminal: not what is tested here.
    const exitFile = start("colour", { TERM: "xterm-256color", CI: undefined, CONTINUOUS_INTEGRATION: undefined });
    await waitFor("colour", new RegExp(`${STACK}\\s+running`));
    expect(pane("colour", true)).toMatch(/\u001B\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7])m/);
    keys("colour", "q");
    expect(await waitExit(exitFile)).toBe(0);
  });

  it("Given a backup in progress, When Ctrl-C is pressed, Then restic is stopped, the stack runs again, and the TUI exits 130", async () => {
    // Enough data that the hot pass is still reading when the key arrives.
    writeFileSync(
      join(world.dir, "fill.sh"),
      `dd if=/dev/urandom of='${volumeMountpoint(`${STACK}_data`)}/big' bs=1M count=400 status=none\n`,
    );
    execFileSync("sh", [join(world.dir, "fill.sh")]);
    const exitFile = start("abort", { NO_COLOR: "1" });
    await waitFor("abort", new RegExp(`${STACK}\\s+running\\s+yes`));
    keys("abort", "b");
    await waitFor("abort", /Back up the stacks enabled/);
    keys("abort", "Enter");
    await waitFor("abort", new RegExp(`^${STACK}\\s+(hot pass|stopping|final pass|backing up)`, "m"), 60_000);
    keys("abort", "C-c");
    const code = await waitExit(exitFile);
    expect(code).toBe(130);
    expect(Object.values(containerStates(STACK))).toEqual(["running"]);
    expect(readdirSync(join(world.stateDir, "journal"))).toEqual([]);
    const f = await waitFor("abort", /speed/);
    expect(f).toMatch(/(^|\s)icanon(\s|$)/m);
  });
});
