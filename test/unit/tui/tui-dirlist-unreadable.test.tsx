import { readFileSync, writeFileSync } from "node:fs";
import { cleanup, render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../../../src/tui/app";
import { createBackend } from "../../../src/tui/backend";
import { container, fakeDocker, testContext, type TestContext } from "../../helpers/fakes";
import { KEY, press, until } from "../../helpers/ink";

// Issue 16 item 12: a dirlist with a line it cannot read, and the add box, at 80 columns.
let tc: TestContext | undefined;
afterEach(() => {
  cleanup();
  tc?.cleanup();
  tc = undefined;
});

function app() {
  tc = testContext({ docker: fakeDocker({ containers: [container({ name: "web-1", project: "web" })] }) });
  return tc;
}
const open = (t: TestContext) =>
  render(<App backend={createBackend(t.ctx)} size={{ columns: 80, rows: 24 }} onExit={() => undefined} />);
const lines = (f: string) => f.split("\n");

describe("the TUI with a dirlist line it cannot read (80x24)", () => {
  it("Given a junk line, When the Dashboard shows, Then the stacks found are listed with ENABLED ?, and the error names file:line and the fix in full", async () => {
    const t = app();
    writeFileSync(t.ctx.config.dirlistFile, "+web\nthis is junk\n");
    const { lastFrame } = open(t);
    const f = await until(lastFrame, /› web\s+running\s+\?\s+never/);
    expect(f).not.toMatch(/No stacks found/);
    const text = lines(f).join(" ");
    expect(text).toContain(`the dirlist cannot be read: ${t.ctx.config.dirlistFile}:2:`);
    expect(text).toMatch(/"this is junk"/);
    expect(text).toMatch(/Fix or delete that line, then press r/);
    expect(lines(f).every((l) => l.length <= 80)).toBe(true);
  });

  it("Given a junk line, When the Stacks screen shows and a or Space is pressed, Then it does not claim an empty dirlist, refuses the edit in words, and writes nothing; r after the fix reads it", async () => {
    const t = app();
    writeFileSync(t.ctx.config.dirlistFile, "+web\nthis is junk\n");
    const { lastFrame, stdin } = open(t);
    await until(lastFrame, /› web/);
    await press(stdin, "2");
    let f = await until(lastFrame, /\[\?\] web/);
    expect(f).not.toMatch(/dirlist is empty|lists none/);
    expect(lines(f).join(" ")).toContain(`${t.ctx.config.dirlistFile}:2:`);
    await press(stdin, "a");
    f = await until(lastFrame, /nothing changed: the dirlist cannot be read/);
    expect(f).not.toMatch(/add external directory/);
    await press(stdin, KEY.space);
    await until(lastFrame, /nothing changed: the dirlist cannot be read/);
    expect(readFileSync(t.ctx.config.dirlistFile, "utf8")).toBe("+web\nthis is junk\n");
    writeFileSync(t.ctx.config.dirlistFile, "+web\n");
    await press(stdin, "r");
    f = await until(lastFrame, /\[x\] web/);
    expect(f).not.toMatch(/cannot be read/);
  });

  it("Given the add box, When a path is typed, Then the box starts empty and the notice names the entry as written (EXT:/srv/data, not EXT://...)", async () => {
    const t = app();
    writeFileSync(t.ctx.config.dirlistFile, "+web\n");
    const { lastFrame, stdin } = open(t);
    await until(lastFrame, /› web/);
    await press(stdin, "2");
    await until(lastFrame, /\[x\] web/);
    await press(stdin, "a");
    // Empty: nothing after the label but the cursor (drawn as a space, trimmed from the frame).
    await until(lastFrame, /^add external directory \(absolute path\):\s*$/m);
    await press(stdin, ..."/srv//data/".split(""), KEY.enter);
    await until(lastFrame, /added EXT:\/srv\/data \(saved\)/);
    expect(readFileSync(t.ctx.config.dirlistFile, "utf8")).toBe("+web\nEXT:/srv/data\n");
    await press(stdin, "a", ..."EXT:/srv/more".split(""), KEY.enter);
    await until(lastFrame, /added EXT:\/srv\/more \(saved\)/);
    expect(readFileSync(t.ctx.config.dirlistFile, "utf8")).toBe("+web\nEXT:/srv/data\nEXT:/srv/more\n");
  });
});
