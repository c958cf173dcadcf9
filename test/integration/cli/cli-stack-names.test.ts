import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, volumeMountpoint, writeStack } from "../../helpers/stacks";

// What a user meets naming stacks and pasting printed commands, on the built binary and the real
// engine: unknown names refused with a did-you-mean, restore runs in history with their stack,
// hints that carry the --config in use, the idle daemon's SIGTERM line.
let w: TestWorld;
let stackDir: string;
const STACK = "namesweb";

beforeAll(() => {
  ensureBinary();
  w = makeWorld();
  stackDir = writeStack(w.stacksDir, STACK, { app: { volumes: ["data:/data"] } }, ["data"]);
  composeUp(stackDir);
  restic(w, ["init"]);
}, 120_000);

afterAll(() => {
  if (stackDir) composeDown(stackDir);
  w?.cleanup();
});

const dirlistText = () => (existsSync(join(w.dir, "dirlist")) ? readFileSync(join(w.dir, "dirlist"), "utf8") : "");

describe("stack names", () => {
  it("Given a typo, When `dirlist enable TYPO` runs, Then exit 2 with did-you-mean and the known stacks, and the dirlist is unchanged", () => {
    const before = dirlistText();
    const r = cli(w, ["dirlist", "enable", "namesweeb"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`no stack named "namesweeb"; did you mean ${STACK}?`);
    expect(r.stderr).toContain(`Known stacks: ${STACK}`);
    expect(dirlistText()).toBe(before);
    // One unknown name among good ones changes nothing either.
    expect(cli(w, ["dirlist", "enable", STACK, "ghost"]).code).toBe(2);
    expect(dirlistText()).toBe(before);
    const ok = cli(w, ["dirlist", "enable", STACK]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(dirlistText()).toMatch(new RegExp(`^\\+${STACK}$`, "m"));
  });

  it("Given a stack the dirlist holds but this host no longer has, When disabled, Then it is (cleaning up is allowed)", () => {
    appendFileSync(join(w.dir, "dirlist"), "+gonestack\n");
    const r = cli(w, ["dirlist", "disable", "gonestack"]);
    expect(r.code, r.stderr).toBe(0);
    expect(dirlistText()).toMatch(/^-gonestack$/m);
  });

  it("Given `history --stack TYPO`, Then exit 2 with did-you-mean; a real stack without runs says so and exits 0", () => {
    const typo = cli(w, ["history", "--stack", "nameswbe"]);
    expect(typo.code, typo.stderr).toBe(2);
    expect(typo.stderr).toContain(`no stack named "nameswbe"; did you mean ${STACK}?`);
    const none = cli(w, ["history", "--stack", STACK]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain(`No runs of ${STACK} yet.`);
  });

  it("Given a backup and an in-place restore of the stack, When history is read, Then the restore run shows the stack, and --stack finds it", () => {
    const b = cli(w, ["backup", STACK]);
    expect(b.code, b.stderr).toBe(0);
    writeFileSync(join(volumeMountpoint(`${STACK}_data`), "later.txt"), "written after the backup\n");
    const r = cli(w, ["restore", "--stack", STACK, "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    const h = cli(w, ["history", "--stack", STACK, "--kind", "restore"]);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(new RegExp(`^\\d+\\s+restore\\s+.*succeeded\\s+0\\s+${STACK}$`, "m"));
    const json = cli(w, ["--json", "history", "--kind", "restore"]);
    const runs = (
      JSON.parse(json.stdout.trim().split("\n").at(-1)!) as { runs: Array<{ kind: string; stack?: string }> }
    ).runs;
    expect(runs.map((x) => [x.kind, x.stack])).toEqual([["restore", STACK]]);
  }, 180_000);
});

describe("printed commands carry --config", () => {
  it("Given --config FILE, When a command prints a hint, Then the hint names the same file", () => {
    const other = join(w.dir, "other.ini");
    writeFileSync(
      other,
      readFileSync(w.configFile, "utf8").replace(
        /^KEEP_LAST=3$/m,
        `KEEP_LAST=3\nDIRLIST_FILE=${join(w.dir, "empty-dirlist")}`,
      ),
      { mode: 0o600 },
    );
    const r = cli(w, ["--config", other, "dirlist", "list"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Run \`backup-tui --config ${other} dirlist sync\``);
    const typo = cli(w, ["--config", other, "dirlist", "enable", "nope"]);
    expect(typo.stderr).toContain(`Run \`backup-tui --config ${other} stacks\``);
  });

  it("Given `init --dir DIR` (a config no default search finds), Then its next steps name DIR/config.ini", () => {
    const dir = join(w.dir, "fresh");
    mkdirSync(dir);
    const r = cli(w, ["init", "--dir", dir], {
      BACKUP_TUI_CONFIG: undefined,
      BACKUP_TUI_STATE_DIR: join(w.dir, "fresh-state"),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`\`backup-tui --config ${join(dir, "config.ini")} doctor\``);
    expect(r.stdout).toContain(`\`backup-tui --config ${join(dir, "config.ini")} backup\``);
  }, 60_000);
});

describe("the daemon", () => {
  it("Given an idle daemon, When SIGTERM arrives, Then it says it is stopping, not that it restarts stacks, and exits 143", async () => {
    appendFileSync(w.configFile, "[schedule]\nBACKUP=0 3 1 1 *\n");
    const child = spawn(BIN, ["daemon"], { env: w.env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const done = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    for (let i = 0; !/next run/.test(stderr); i++) {
      if (i > 300) throw new Error(`the daemon never armed its schedule:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGTERM");
    expect(await done).toBe(143);
    expect(stderr).toMatch(/SIGTERM: stopping\n/);
    expect(stderr).not.toMatch(/restarting stacks|waiting for/);
    expect(stderr).toMatch(/stopped/);
  }, 60_000);
});
