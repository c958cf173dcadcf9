import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { buildSync } from "esbuild";

/**
 * A separate node process that takes the repository lock on command ("go" → "won"/"busy"/"error ...";
 * "release" → "released"), so tests race real processes over the real lock code.
 */
const SCRIPT = `
import { hostname } from "node:os";
import { createInterface } from "node:readline";
import { acquireRepoLock } from ${srcModule("state", "lock.ts")};
import { currentOwner } from ${srcModule("state", "process-info.ts")};
const [stateDir, repository] = process.argv.slice(2);
let lock;
const say = (s) => process.stdout.write(s + "\\n");
createInterface({ input: process.stdin }).on("line", async (line) => {
  if (line === "go") {
    try {
      lock = await acquireRepoLock({ stateDir, repository, owner: currentOwner(hostname(), "racer " + process.pid) });
      say("won");
    } catch (err) {
      say(err && err.exitCode === 75 ? "busy" : "error " + (err && err.message));
    }
  } else if (line === "release") {
    await lock?.release();
    lock = undefined;
    say("released");
  }
});
say("ready");
`;

const bundled = new Map<string, string>();

/** A script that imports src/ modules by absolute path, bundled once per test process (esbuild, as the build does). */
export function bundleScript(source: string): string {
  const done = bundled.get(source);
  if (done) return done;
  const dir = mkdtempSync(join(tmpdir(), "test-script-"));
  const entry = join(dir, "entry.mjs");
  writeFileSync(entry, source);
  const out = join(dir, "script.cjs");
  buildSync({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node26",
    logLevel: "warning",
  });
  bundled.set(source, out);
  return out;
}

/** An absolute src/ path for a script's import. */
export function srcModule(...parts: string[]): string {
  return JSON.stringify(resolve(import.meta.dirname, "..", "..", "src", ...parts));
}

const racerScript = () => bundleScript(SCRIPT);

export interface Racer {
  child: ChildProcess;
  pid: number;
  /** Sends a line, resolves with the next line the racer prints. */
  ask(line: string): Promise<string>;
  exited: Promise<void>;
}

export async function startRacer(stateDir: string, repository: string): Promise<Racer> {
  const child = spawn(process.execPath, [racerScript(), stateDir, repository], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  createInterface({ input: child.stdout! }).on("line", (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  let gone = false;
  const exited = new Promise<void>((r) =>
    child.once("exit", () => ((gone = true), r(), waiters.splice(0).forEach((w) => w("exited")))),
  );
  const next = () =>
    new Promise<string>((r) => (lines.length ? r(lines.shift()!) : gone ? r("exited") : waiters.push(r)));
  const ready = await next();
  if (ready !== "ready") throw new Error(`racer said ${ready}`);
  return {
    child,
    pid: child.pid!,
    exited,
    ask(line) {
      const answer = next();
      child.stdin!.write(`${line}\n`);
      return answer;
    },
  };
}
