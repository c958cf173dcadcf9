import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBinary, makeWorld, type TestWorld } from "../helpers/env";
import { writeStack } from "../helpers/stacks";
import { tmuxServer, waitExitFile, waitForText } from "../helpers/tmux";

// Issue 16 item 12 as a person meets it: a dirlist with a junk line, the TUI in a real 80x24
// terminal. Our own tmux server (-L): nothing else running tmux is touched; killed at the end.
const { tmux, kill: killTmux } = tmuxServer("btui-junk");

let world: TestWorld;
let bin: string;
let dirlist: string;
const STACK = "junkweb";

const pane = (session: string) => tmux("capture-pane", "-p", "-t", session);
/** The pane as one line of words (wrapped text joined), for sentences that span lines. */
const words = (f: string) => f.replace(/\s+/g, " ");

// Generous: in CI this runs beside the integration suite and the unit tests.
const waitFor = (session: string, re: RegExp, ms = 60_000) => waitForText(() => pane(session), re, ms);

const waitExit = waitExitFile;

beforeAll(() => {
  bin = ensureBinary();
  world = makeWorld();
  writeStack(world.stacksDir, STACK, { app: {} });
  dirlist = join(world.dir, "dirlist");
});

afterAll(() => {
  killTmux();
  world?.cleanup();
});

describe("the TUI with a dirlist line it cannot read (tmux, 80x24)", () => {
  it("Given a junk line, When the TUI is used, Then Dashboard and Stacks say what is wrong and where, edits are refused in words, r reads the fixed file, and an added path is named as written", async () => {
    writeFileSync(dirlist, `+${STACK}\nthis is junk\n`);
    const exitFile = join(world.dir, "junk.exit");
    const script = `env BACKUP_TUI_CONFIG='${world.configFile}' BACKUP_TUI_STATE_DIR='${world.stateDir}' NO_COLOR=1 ${bin} 2> ${exitFile}.stderr; echo EXIT=$? > ${exitFile}; sleep 120`;
    tmux("new-session", "-d", "-s", "junk", "-x", "80", "-y", "24", "sh", "-c", script);

    let f = await waitFor("junk", new RegExp(`${STACK}\\s+\\S+\\s+\\?\\s+never`));
    expect(f).not.toMatch(/No stacks found/);
    expect(words(f)).toContain(`the dirlist cannot be read: ${dirlist}:2:`);
    expect(words(f)).toMatch(/"this is junk"\. Each line is \+name, -name, .* Fix or delete that line, then press r/);

    tmux("send-keys", "-t", "junk", "2");
    f = await waitFor("junk", new RegExp(`\\[\\?\\] ${STACK}`));
    expect(f).not.toMatch(/dirlist is empty|lists none/);
    expect(words(f)).toContain(`${dirlist}:2:`);
    tmux("send-keys", "-t", "junk", "a");
    f = await waitFor("junk", /nothing changed: the dirlist cannot be read/);
    expect(f).not.toMatch(/add external directory/);
    expect(readFileSync(dirlist, "utf8")).toBe(`+${STACK}\nthis is junk\n`);

    writeFileSync(dirlist, `+${STACK}\n`);
    tmux("send-keys", "-t", "junk", "r");
    await waitFor("junk", new RegExp(`\\[x\\] ${STACK}`));
    tmux("send-keys", "-t", "junk", "a");
    f = await waitFor("junk", /add external directory \(absolute path\):/);
    expect(f).toMatch(/^add external directory \(absolute path\):\s*$/m); // starts empty, not "/"
    // Keys typed the moment the box appears can land before its input is listening (seen in CI):
    // type until the pane shows the text, then confirm.
    for (let i = 0; ; i++) {
      tmux("send-keys", "-t", "junk", "-l", "/srv//data/");
      if (
        await waitFor("junk", /\(absolute path\):\s*\/srv\/\/data\//, 3_000).then(
          () => true,
          () => false,
        )
      )
        break;
      if (i === 4) throw new Error("the add box never showed what was typed");
    }
    tmux("send-keys", "-t", "junk", "Enter");
    await waitFor("junk", /added EXT:\/srv\/data \(saved\)/);
    expect(readFileSync(dirlist, "utf8")).toBe(`+${STACK}\nEXT:/srv/data\n`);

    tmux("send-keys", "-t", "junk", "q");
    await waitFor("junk", /\[1 Dashboard\]/);
    tmux("send-keys", "-t", "junk", "q");
    expect(await waitExit(exitFile)).toBe(0);
  }, 240_000);
});
