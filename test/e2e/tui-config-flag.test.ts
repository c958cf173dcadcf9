import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, type TestWorld } from "../helpers/env";
import { writeStack } from "../helpers/stacks";
import { tmuxServer, waitExitFile, waitForText } from "../helpers/tmux";

// `backup-tui --config FILE` (no command) in a real 80x24 terminal opens the TUI with that config.
// Our own tmux server (-L): nothing else running tmux is touched; killed at the end.
const { tmux, kill: killTmux } = tmuxServer("btui-cfgflag");

let world: TestWorld;
let bin: string;
// A stack only this config's DOCKER_STACKS_DIR holds: seeing it proves the file given was read.
const STACK = "cfgflagonly";

/** Starts `bin ARGS` in an 80x24 tmux session with no BACKUP_TUI_CONFIG; the exit code lands in a file. */
function start(session: string, args: string[]): string {
  const exitFile = join(world.dir, `${session}.exit`);
  const script = `env -u BACKUP_TUI_CONFIG -u BACKUP_CONFIG BACKUP_TUI_STATE_DIR='${world.stateDir}' NO_COLOR=1 ${bin} ${args.map((a) => `'${a}'`).join(" ")} 2> ${exitFile}.stderr; echo EXIT=$? > ${exitFile}; sleep 120`;
  tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "sh", "-c", script);
  return exitFile;
}

const pane = (session: string) => tmux("capture-pane", "-p", "-t", session);

const waitFor = (session: string, re: RegExp, ms = 20_000) => waitForText(() => pane(session), re, ms);

const waitExit = waitExitFile;

beforeAll(() => {
  bin = ensureBinary();
  world = makeWorld();
  writeStack(world.stacksDir, STACK, { app: {} });
});

afterAll(() => {
  killTmux();
  world?.cleanup();
});

describe("global options without a command", () => {
  it.each([
    ["--config", (f: string) => ["--config", f]],
    ["-c", (f: string) => ["-c", f]],
    ["-q --config=", (f: string) => ["-q", `--config=${f}`]],
  ])(
    "Given %s FILE on a terminal (80x24), When started, Then the dashboard of that config shows and q quits with 0",
    async (name, args) => {
      const session = `s${name.replace(/\W/g, "")}`;
      const exitFile = start(session, args(world.configFile));
      const f = await waitFor(session, new RegExp(`\\[1 Dashboard\\][\\s\\S]*${STACK}`));
      expect(f).not.toMatch(/Usage: backup-tui/);
      tmux("send-keys", "-t", session, "q");
      expect(await waitExit(exitFile)).toBe(0);
      // Nothing but Ink's cursor-show on stderr: no usage text, no config error.
      expect(readFileSync(`${exitFile}.stderr`, "utf8").replace(/\u001B\[\?25h/g, "")).toBe("");
    },
    60_000,
  );

  it("Given --config FILE and no terminal, When run, Then it prints the help and exits 0", () => {
    const r = cli(world, ["--config", world.configFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: backup-tui/);
  });
});
