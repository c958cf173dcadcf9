import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { BIN } from "./env";

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs = 60_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Running {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts the binary in the background. */
export function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** The pid the fake restic wrote, once it is hanging. */
export async function hangingFake(marker: string): Promise<number> {
  await waitFor(
    () => existsSync(marker) && readFileSync(marker, "utf8").trim() !== "",
    120_000,
    "the fake restic to hang",
  );
  return Number(readFileSync(marker, "utf8").trim());
}

export function killHard(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** Every process's argv (NUL-separated in /proc, joined with spaces), except ones that vanished meanwhile. */
export function allCommandLines(): Array<{ pid: number; argv: string }> {
  const out: Array<{ pid: number; argv: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.push({ pid: Number(name), argv: readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ") });
    } catch {
      // exited
    }
  }
  return out;
}
