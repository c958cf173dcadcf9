import { describe, expect, it } from "vitest";
import { commandName, entryFor } from "../../src/cli-entry";
import { buildProgram } from "../../src/cli";
import { btui, setHintGlobals, shellQuote } from "../../src/command-hint";

const options = buildProgram().options;

describe("a command line without a command", () => {
  it.each([
    [[]],
    [["--config", "/etc/b.ini"]],
    [["-c", "/etc/b.ini"]],
    [["-c/etc/b.ini"]],
    [["--config=/etc/b.ini"]],
    [["-v"]],
    [["-q"]],
    [["-vq"]],
    [["--json"]],
    [["--verbose", "-c", "cfg.ini", "--quiet"]],
    [["-vc", "cfg.ini"]],
    [["-c", "status"]], // as commander reads it: `status` is the config file (not found: exit 78)
  ])("Given %j on a terminal, Then the TUI opens; off a terminal, the help", (args) => {
    expect(entryFor(args, options, true)).toBe("tui");
    expect(entryFor(args, options, false)).toBe("help");
  });

  it.each([
    [["status"]],
    [["--config", "/etc/b.ini", "status"]],
    [["--config"]], // the value is missing: commander says so
    [["-c"]],
    [["-V"]],
    [["--version"]],
    [["-h"]],
    [["--help"]],
    [["--dry-run"]],
    [["-x"]],
    [["-vx"]],
    [["--json=1"]],
    [["--"]],
    [["-"]],
  ])("Given %j, Then commander parses it (a command, help, version or an error)", (args) => {
    expect(entryFor(args, options, true)).toBe("command");
    expect(entryFor(args, options, false)).toBe("command");
  });
});

describe("printed commands carry the user's --config", () => {
  it("Given --config relative to the working directory, When a hint is rendered, Then it names the file absolutely", () => {
    setHintGlobals({ config: "conf/b.ini" }, "/srv/x");
    expect(btui("unlock")).toBe("backup-tui --config /srv/x/conf/b.ini unlock");
    setHintGlobals({ config: "/my dir/it's.ini" });
    expect(btui("doctor")).toBe(`backup-tui --config '/my dir/it'\\''s.ini' doctor`);
    setHintGlobals({});
    expect(btui("doctor")).toBe("backup-tui doctor");
    expect(btui("doctor", { config: "/etc/x.ini" })).toBe("backup-tui --config /etc/x.ini doctor");
    expect(shellQuote("a b")).toBe("'a b'");
  });
});

describe("the command a line names (the daemon's SIGHUP reloads only when it is the daemon)", () => {
  it.each([
    [["daemon"], "daemon"],
    [["-c", "/etc/b.ini", "daemon"], "daemon"],
    [["--config", "daemon.ini", "daemon"], "daemon"],
    [["-vc", "cfg.ini", "daemon"], "daemon"],
    [["--config=/etc/b.ini", "backup", "daemon"], "backup"],
    [["-c", "daemon"], undefined], // `daemon` is the config file's name here
    [["--json"], undefined],
  ])("Given %j, Then the command is %s", (args, expected) => {
    expect(commandName(args, options)).toBe(expected);
  });
});
