import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, makeWorld, restic, type TestWorld } from "../helpers/env";
import { composeDown, composeUp, containerStates, volumeMountpoint, writeStack } from "../helpers/stacks";

// The TUI as a person sees it: the compiled binary in a real terminal (tmux), driven by keys.
// Our own tmux server (-L), so nothing else running tmux is touched; killed at the end.
const SOCKET = `btui-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let world: TestWorld;
let bin: string;
let stackDir: string;
const STACK = "tuiweb";

/** Starts the TUI in a tmux session; an undefined value in extraEnv removes that variable. */
function start(session: string, extraEnv: Record<string, string | undefined> = {}, exitFile = join(world.dir, `${session}.exit`)): string {
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

const pane = (session: string, escapes = false) => tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", session);
const keys = (session: string, ...k: string[]) => tmux("send-keys", "-t", session, ...k);

async function waitFor(session: string, re: RegExp, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = pane(session);
    if (re.test(f)) return f;
    if (Date.now() > end) throw new Error(`pane never showed ${re}:\n${f}`);
    await sleep(20);
  }
}

async function waitExit(file: string, ms = 120_000): Promise<number> {
  const end = Date.now() + ms;
  while (!existsSync(file) || !readFileSync(file, "utf8").includes("\n")) {
    if (Date.now() > end) throw new Error("the TUI did not exit");
    await sleep(50);
  }
  return Number(/EXIT=(\d+)/.exec(readFileSync(file, "utf8"))![1]);
}

beforeAll(() => {
  bin = ensureBinary();
  // A schedule, so the dashboard and the Schedules screen have something to show.
  world = makeWorld("[schedule]\nBACKUP=0 3 * * *");
  stackDir = writeStack(world.stacksDir, STACK, { app: { volumes: ["data:/data"] } }, ["data"]);
  composeUp(stackDir);
  restic(world, ["init"]);
});

afterAll(() => {
  let socket = "";
  try {
    socket = tmux("display-message", "-p", "#{socket_path}").trim();
  } catch {
    // no session left to ask
  }
  try {
    tmux("kill-server");
  } catch {
    // no server left
  }
  if (socket) rmSync(socket, { force: true });
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
    const row = f.split("\n").filter((l) => /\[[ x]\] /.test(l)).findIndex((l) => l.includes(STACK));
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
    const snaps = JSON.parse(restic(world, ["snapshots", "--json", "--tag", `stack:${STACK}`])) as Array<{ short_id: string; tags: string[] }>;
    expect(snaps.map((s) => s.short_id)).toContain(snapId);
    expect(Object.values(containerStates(STACK))).toEqual(["running"]);

    // Snapshots: the new one is listed; its tree opens.
    keys("main", "4");
    await waitFor("main", new RegExp(`› ${snapId}`));
    keys("main", "Enter");
    await waitFor("main", /restore: backup-tui restore --stack tuiweb --snapshot [0-9a-f]{8} --file/);

    // q closes the tree, q goes to the dashboard.
    keys("main", "q");
    await waitFor("main", /latest 5 per stack/);
    keys("main", "q");
    f = await waitFor("main", /\[1 Dashboard\]/);
    // Enabled and covered by [schedule] BACKUP: its next run is shown.
    expect(f).toMatch(new RegExp(`${STACK}\\s+running\\s+yes\\s+\\d+[sm] ago succeeded\\s+in \\d+[smh]\\s+1`));

    // History: the run, by hand; Enter shows its stack with the snapshot.
    keys("main", "6");
    f = await waitFor("main", new RegExp(`^› \\d+\\s+backup\\s+.*by hand\\s+succeeded\\s+0\\s+${STACK}:ok`, "m"));
    keys("main", "Enter");
    f = await waitFor("main", /Run #\d+ · backup · succeeded \(exit 0\) · by hand/);
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
    writeFileSync(join(world.dir, "fill.sh"), `dd if=/dev/urandom of='${volumeMountpoint(`${STACK}_data`)}/big' bs=1M count=400 status=none\n`);
    execFileSync("sh", [join(world.dir, "fill.sh")]);
    const exitFile = start("abort", { NO_COLOR: "1" });
    await waitFor("abort", new RegExp(`${STACK}\\s+running\\s+yes`));
    keys("abort", "b");
    await waitFor("abort", /Back up the stacks enabled/);
    keys("abort", "Enter");
    await waitFor("abort", new RegExp(`^${STACK}\\s+(hot pass|stopping|final pass)`, "m"), 60_000);
    keys("abort", "C-c");
    const code = await waitExit(exitFile);
    expect(code).toBe(130);
    expect(Object.values(containerStates(STACK))).toEqual(["running"]);
    expect(readdirSync(join(world.stateDir, "journal"))).toEqual([]);
    const f = await waitFor("abort", /speed/);
    expect(f).toMatch(/(^|\s)icanon(\s|$)/m);
  });
});
