import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A tmux server of the test's own (-L NAME-PID): nothing else running tmux is touched, and
 * `kill()` removes it and its socket at the end.
 */
export function tmuxServer(name: string) {
  const socket = `${name}-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const kill = () => {
    let path = "";
    try {
      path = tmux("display-message", "-p", "#{socket_path}").trim();
    } catch {
      // no session left to ask
    }
    try {
      tmux("kill-server");
    } catch {
      // no server left
    }
    if (path) rmSync(path, { force: true });
  };
  return { tmux, kill };
}

/** Polls read() until it matches re; the last text read is in the error. */
export async function waitForText(read: () => string, re: RegExp, ms = 20_000, stepMs = 50): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = read();
    if (re.test(f)) return f;
    if (Date.now() > end) throw new Error(`pane never showed ${re}:\n${f}`);
    await sleep(stepMs);
  }
}

/** Waits for the `EXIT=N` line the session's shell writes to file when the program ends. */
export async function waitExitFile(file: string, ms = 30_000): Promise<number> {
  const end = Date.now() + ms;
  while (!existsSync(file) || !readFileSync(file, "utf8").includes("\n")) {
    if (Date.now() > end) throw new Error("the TUI did not exit");
    await sleep(50);
  }
  return Number(/EXIT=(\d+)/.exec(readFileSync(file, "utf8"))![1]);
}

/**
 * Sends keys until read() matches re: a key typed while the program is still setting its
 * terminal up (the first frame is drawn before Ink takes raw mode) can be lost.
 */
export async function pressUntil(
  send: () => void,
  read: () => string,
  re: RegExp,
  ms = 20_000,
  retryMs = 1500,
): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    send();
    try {
      return await waitForText(read, re, Math.min(retryMs, Math.max(0, end - Date.now())));
    } catch (err) {
      if (Date.now() >= end) throw err;
    }
  }
}
