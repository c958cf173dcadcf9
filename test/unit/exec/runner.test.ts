import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ToolError } from "../../../src/errors";
import { ProcessRunner } from "../../../src/exec/runner";

const PW = "s3cr3t-Pa55word";
let dir: string;
const runner = new ProcessRunner();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "runner-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running and not a zombie (a zombie is dead; it only waits for a parent to reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Pids of every process in a process group that is not a zombie. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function pidsFrom(file: string): number[] {
  return readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
}

async function caught(p: Promise<unknown>): Promise<ToolError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  return err as ToolError;
}

const leftovers: number[] = [];
afterEach(() => {
  // A failing test must not leave sleepers behind.
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

describe("ProcessRunner: results and failures", () => {
  it("Given a command that succeeds, When run, Then stdout, exit code and the command line come back", async () => {
    const r = await runner.run("sh", ["-c", "echo out; echo err >&2"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toBe("err\n");
    expect(r.command).toBe("sh -c 'echo out; echo err >&2'");
  });

  it("Given input, When run, Then the child reads it on stdin", async () => {
    expect((await runner.run("cat", [], { input: "from stdin" })).stdout).toBe("from stdin");
  });

  it("Given a command exiting 3 with stderr, When run, Then a ToolError carries exit code 3 and the stderr tail", async () => {
    const script = "for i in $(seq 1 30); do echo line$i >&2; done; exit 3";
    const err = await caught(runner.run("sh", ["-c", script]));
    expect(err.reason).toBe("exit");
    expect(err.toolExitCode).toBe(3);
    expect(err.message).toBe("sh failed (exit 3): line30");
    expect(err.stderrTail.split("\n")).toHaveLength(20);
    expect(err.stderrTail).toMatch(/^line11\n[\s\S]*line30$/);
    expect(err.exitCode).toBe(1);
  });

  it("Given okExitCodes [0, 3], When the command exits 3, Then it resolves with exit code 3", async () => {
    const r = await runner.run("sh", ["-c", "exit 3"], { okExitCodes: [0, 3] });
    expect(r.exitCode).toBe(3);
  });

  it("Given okExitCodes [3], When the command exits 0, Then that is a failure", async () => {
    expect((await caught(runner.run("true", [], { okExitCodes: [3] }))).toolExitCode).toBe(0);
  });

  it("Given a binary that does not exist, When run, Then a ToolError with reason spawn and an install hint", async () => {
    const err = await caught(runner.run("/nonexistent/restic-xyz", ["version"]));
    expect(err.reason).toBe("spawn");
    expect(err.toolExitCode).toBeUndefined();
    expect(err.message).toContain("could not be started");
    expect(err.hint).toContain("doctor");
  });

  it("Given a cwd, When run, Then the child starts there", async () => {
    expect((await runner.run("pwd", [], { cwd: dir })).stdout.trim()).toBe(dir);
  });
});

describe("ProcessRunner: streamed lines", () => {
  it("Given output split across writes and CRLF ends, When streamed, Then callbacks get whole lines only", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const script =
      "printf 'a\\nb'; sleep 0.2; printf 'c\\r\\nd\\n'; printf 'e1\\ne'>&2; sleep 0.1; printf '2\\nlast' >&2";
    await runner.run("sh", ["-c", script], { onStdoutLine: (l) => out.push(l), onStderrLine: (l) => err.push(l) });
    expect(out).toEqual(["a", "bc", "d"]);
    expect(err).toEqual(["e1", "e2", "last"]);
  });

  it("Given bufferStdout false, When streamed, Then lines arrive but the result holds no stdout", async () => {
    const out: string[] = [];
    const r = await runner.run("sh", ["-c", "seq 1 1000"], { bufferStdout: false, onStdoutLine: (l) => out.push(l) });
    expect(out).toHaveLength(1000);
    expect(out.at(-1)).toBe("1000");
    expect(r.stdout).toBe("");
  });
});

describe("ProcessRunner: timeouts and aborts kill the whole process group", () => {
  it("Given a shell with two background sleepers, When the timeout fires, Then no process of its group survives", async () => {
    const pidfile = join(dir, "group-term");
    const script = `echo $$ > ${pidfile}; sleep 300 & echo $! >> ${pidfile}; sleep 300 & echo $! >> ${pidfile}; wait`;
    const started = Date.now();
    const err = await caught(runner.run("sh", ["-c", script], { timeoutMs: 500, killGraceMs: 3000 }));
    const pids = pidsFrom(pidfile);
    leftovers.push(...pids);
    expect(err.reason).toBe("timeout");
    expect(err.message).toContain("timed out");
    expect(pids).toHaveLength(3);
    expect(pids.filter(alive)).toEqual([]);
    expect(groupMembers(pids[0])).toEqual([]);
    // TERM was enough: no wait for the KILL grace, nor for init to reap the orphans.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("Given children that ignore TERM, When the timeout fires, Then KILL follows after killGraceMs and nothing survives", async () => {
    const pidfile = join(dir, "group-kill");
    const script = `trap '' TERM; echo $$ > ${pidfile}; sleep 300 & echo $! >> ${pidfile}; sleep 300 & echo $! >> ${pidfile}; wait; wait`;
    const started = Date.now();
    const err = await caught(runner.run("sh", ["-c", script], { timeoutMs: 300, killGraceMs: 700 }));
    const elapsed = Date.now() - started;
    const pids = pidsFrom(pidfile);
    leftovers.push(...pids);
    expect(err.reason).toBe("timeout");
    expect(err.toolExitCode).toBe(137);
    expect(pids.filter(alive)).toEqual([]);
    expect(groupMembers(pids[0])).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(4000);
  });

  it("Given a leader that exits leaving a background child, When run without a timeout, Then the straggler is killed too", async () => {
    const pidfile = join(dir, "straggler");
    const script = `sleep 300 >/dev/null 2>&1 & echo $! > ${pidfile}; exit 0`;
    await runner.run("sh", ["-c", script], { killGraceMs: 1000 });
    const [pid] = pidsFrom(pidfile);
    leftovers.push(pid);
    expect(alive(pid)).toBe(false);
  });

  it("Given a leader that exits 0 leaving a child that holds stdout open, When run with a timeout, Then it succeeds at once and the child is killed", async () => {
    const pidfile = join(dir, "holder");
    const started = Date.now();
    const r = await runner.run("sh", ["-c", `sleep 300 & echo $! > ${pidfile}; echo done`], {
      timeoutMs: 10_000,
      killGraceMs: 1000,
    });
    const [pid] = pidsFrom(pidfile);
    leftovers.push(pid);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("done\n");
    expect(alive(pid)).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("Given an AbortSignal, When it is aborted mid-run, Then the group is killed and the error says cancelled", async () => {
    const pidfile = join(dir, "abort");
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const script = `echo $$ > ${pidfile}; sleep 300 & echo $! >> ${pidfile}; wait`;
    const err = await caught(runner.run("sh", ["-c", script], { signal: ac.signal, killGraceMs: 2000 }));
    const pids = pidsFrom(pidfile);
    leftovers.push(...pids);
    expect(err.reason).toBe("aborted");
    expect(err.message).toContain("cancelled");
    expect(pids.filter(alive)).toEqual([]);
  });

  it("Given an AbortSignal already aborted, When run, Then nothing is started", async () => {
    const marker = join(dir, "never");
    const err = await caught(runner.run("sh", ["-c", `touch ${marker}`], { signal: AbortSignal.abort() }));
    expect(err.reason).toBe("aborted");
    expect(() => readFileSync(marker)).toThrow();
  });
});

describe("ProcessRunner: secrets and environment", () => {
  it("Given secrets in args and stderr, When the command fails, Then message, command and stderr tail are masked", async () => {
    const err = await caught(
      runner.run("sh", ["-c", 'echo "wrong password $1" >&2; exit 12', "sh", PW, "rest:http://u:urlpass@host/"], {
        secrets: [PW],
      }),
    );
    for (const text of [err.message, err.command, err.stderrTail]) {
      expect(text).not.toContain(PW);
      expect(text).not.toContain("urlpass");
    }
    expect(err.message).toContain("wrong password ***");
    expect(err.command).toContain("http://u:***@host/");
  });

  it("Given a spawn failure with a secret in the args, When reported, Then the secret is masked", async () => {
    const err = await caught(runner.run("/nonexistent/tool", [`--password=${PW}`], { secrets: [PW] }));
    expect(`${err.message} ${err.command}`).not.toContain(PW);
  });

  it("Given RESTIC_PASSWORD inherited and env { RESTIC_PASSWORD: undefined }, When a restic child runs, Then it does not see it", async () => {
    const before = process.env.RESTIC_PASSWORD;
    process.env.RESTIC_PASSWORD = "inherited-leak";
    try {
      const script = 'echo "${RESTIC_PASSWORD-unset} ${KEEP-none} ${HOME:+home}"';
      expect((await runner.run("sh", ["-c", script], { child: "restic" })).stdout).toBe("inherited-leak none home\n");
      const r = await runner.run("sh", ["-c", script], {
        child: "restic",
        env: { RESTIC_PASSWORD: undefined, KEEP: "kept" },
      });
      expect(r.stdout).toBe("unset kept home\n");
    } finally {
      if (before === undefined) delete process.env.RESTIC_PASSWORD;
      else process.env.RESTIC_PASSWORD = before;
    }
  });

  it("Given extendEnv false, When run, Then only the given variables reach the child", async () => {
    const r = await runner.run("/usr/bin/env", [], { env: { ONLY: "1" }, extendEnv: false });
    expect(r.stdout).toContain("ONLY=1");
    expect(r.stdout).not.toMatch(/^HOME=/m);
  });
});
