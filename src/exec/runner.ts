import { btui } from "../command-hint";
import { readdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { ToolError } from "../errors";
import type { Logger } from "../log";
import { childEnvironment, type ChildKind } from "./child-env";
import { killGroup, liveGroups } from "./process-groups";
import { redact } from "./redact";

export interface RunOptions {
  cwd?: string;
  /** Extra environment for the child (merged over what it inherits, unless extendEnv is false). undefined deletes a variable. */
  env?: Record<string, string | undefined>;
  /** false: the child gets env only, nothing of ours. */
  extendEnv?: boolean;
  /** Which of our secret-bearing variables the child may inherit (child-env.ts); "tool" (none of them) by default. */
  child?: ChildKind;
  input?: string;
  /** A file to feed the child's stdin from (a dump loaded back), instead of input. */
  inputFile?: string;
  /** Write the child's stdout to this file (binary safe, not kept in memory): a database dump. */
  stdoutFile?: string;
  /** Kill the whole process group after this long (TERM, then KILL after killGraceMs). */
  timeoutMs?: number;
  killGraceMs?: number;
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Keep stdout in the result (default true). Turn off for large streamed output. */
  bufferStdout?: boolean;
  /** Exit codes that are not failures (default [0]). */
  okExitCodes?: number[];
  /** Values to mask wherever the command or its output is shown. */
  secrets?: string[];
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  command: string;
}

/** The one process runner: everything that spawns goes through this interface. */
export interface Runner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export { killAllChildren } from "./process-groups";

/** execa loads on the first spawn: commands that spawn nothing start faster. */
let execaModule: Promise<typeof import("execa")> | undefined;
const loadExeca = () => (execaModule ??= import("execa"));

/**
 * True while a process of the group still runs. Zombies do not count: they are dead, and an init
 * that reaps late (or a container PID 1 that never reaps) would otherwise stall every kill.
 */
export function groupAlive(pgid: number): boolean {
  if (!killGroup(pgid, 0)) return false;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return true; // no /proc: trust kill(0)
  }
  return pids.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return state !== "Z" && Number(pgrp) === pgid;
    } catch {
      return false;
    }
  });
}

function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = "";
  return {
    push(chunk) {
      rest += chunk.toString();
      let i: number;
      while ((i = rest.indexOf("\n")) >= 0) {
        onLine(rest.slice(0, i).replace(/\r$/, ""));
        rest = rest.slice(i + 1);
      }
    },
    end() {
      if (rest) onLine(rest);
      rest = "";
    },
  };
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Where the runner notes the process groups it starts, so a later run can stop those a killed run left. */
export interface ChildLedger {
  add(pgid: number, name: string): void;
  remove(pgid: number): void;
}

export class ProcessRunner implements Runner {
  constructor(
    private readonly log?: Logger,
    private readonly ledger?: ChildLedger,
  ) {}

  async run(file: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    const secrets = o.secrets ?? [];
    const command = redact([file, ...args].map(quoteArg).join(" "), secrets);
    this.log?.debug({ cmd: command, cwd: o.cwd }, "exec");
    if (o.signal?.aborted) throw new ToolError(`${file} not started: cancelled`, command, undefined, "", "aborted");

    const started = Date.now();
    const { execa } = await loadExeca();
    const child = execa(file, args, {
      cwd: o.cwd,
      env: childEnvironment(o.child ?? "tool", o.extendEnv === false ? {} : process.env, o.env),
      extendEnv: false,
      input: o.input,
      stdin: o.inputFile ? { file: o.inputFile } : o.input === undefined ? "ignore" : undefined,
      stdout: o.stdoutFile ? { file: o.stdoutFile } : "pipe",
      detached: true, // own process group: a timeout or abort kills the whole tree
      reject: false,
      stripFinalNewline: false,
      buffer: { stdout: o.bufferStdout ?? true, stderr: true },
      maxBuffer: 512 * 1024 * 1024,
      encoding: "utf8",
    });
    const pgid = child.pid;
    if (pgid) {
      liveGroups.add(pgid);
      this.ledger?.add(pgid, basename(file));
    }

    const out = o.onStdoutLine ? lineSplitter(o.onStdoutLine) : undefined;
    const err = o.onStderrLine ? lineSplitter(o.onStderrLine) : undefined;
    if (out) child.stdout?.on("data", (c) => out.push(c));
    if (err) child.stderr?.on("data", (c) => err.push(c));

    let reason: "timeout" | "aborted" | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const terminate = (why: "timeout" | "aborted") => {
      if (reason || !pgid) return;
      reason = why;
      killGroup(pgid, "SIGTERM");
      graceTimer = setTimeout(() => killGroup(pgid, "SIGKILL"), o.killGraceMs ?? 5000);
    };
    // When the leader exits, what it left in its group would hold our pipes open and stall the run.
    child.nodeChildProcess.once("exit", () => {
      if (!pgid || reason || !groupAlive(pgid)) return;
      killGroup(pgid, "SIGTERM");
      graceTimer ??= setTimeout(() => killGroup(pgid, "SIGKILL"), o.killGraceMs ?? 5000);
    });
    const timer = o.timeoutMs ? setTimeout(() => terminate("timeout"), o.timeoutMs) : undefined;
    const onAbort = () => terminate("aborted");
    o.signal?.addEventListener("abort", onAbort, { once: true });

    try {
      const r = await child;
      out?.end();
      err?.end();
      const stdout = typeof r.stdout === "string" ? r.stdout : "";
      const stderr = typeof r.stderr === "string" ? r.stderr : "";
      const durationMs = Date.now() - started;
      if (r.failed && r.exitCode === undefined && !r.signal) {
        throw new ToolError(
          `${file} could not be started: ${redact(r.shortMessage ?? "", secrets)}`,
          command,
          undefined,
          "",
          "spawn",
          `Is ${file} installed and on PATH? Run \`${btui("doctor")}\`.`,
        );
      }
      const exitCode = r.exitCode ?? 128 + signalNumber(r.signal);
      this.log?.debug({ cmd: command, exitCode, ms: durationMs }, "exec done");
      if (reason === "timeout") {
        throw new ToolError(
          `${file} timed out after ${Math.round((o.timeoutMs ?? 0) / 1000)} s and was killed`,
          command,
          exitCode,
          redact(tail(stderr), secrets),
          "timeout",
        );
      }
      if (reason === "aborted") {
        throw new ToolError(`${file} was cancelled`, command, exitCode, redact(tail(stderr), secrets), "aborted");
      }
      if (!(o.okExitCodes ?? [0]).includes(exitCode)) {
        const last = redact(tail(stderr, 1), secrets);
        throw new ToolError(
          `${file} failed (exit ${exitCode})${last ? `: ${last}` : ""}`,
          command,
          exitCode,
          redact(tail(stderr), secrets),
          "exit",
        );
      }
      return { exitCode, stdout, stderr, durationMs, command };
    } finally {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (pgid) {
        // Children that outlived their leader (or ignored TERM) are killed too.
        if (groupAlive(pgid)) {
          if (!graceTimer) killGroup(pgid, "SIGTERM");
          await waitGroupGone(pgid, o.killGraceMs ?? 5000);
        }
        if (graceTimer) clearTimeout(graceTimer);
        liveGroups.delete(pgid);
        this.ledger?.remove(pgid);
      }
    }
  }
}

async function waitGroupGone(pgid: number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pgid)) killGroup(pgid, "SIGKILL");
  const hard = Date.now() + 2000;
  while (groupAlive(pgid) && Date.now() < hard) await new Promise((r) => setTimeout(r, 20));
}

function signalNumber(signal: string | undefined): number {
  const map: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return signal ? (map[signal] ?? 0) : 0;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
