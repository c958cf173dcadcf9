import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "backup-tui");
export const RESTIC_014 = "/opt/restic-0.14/restic";

/** A scratch world for one test file: stacks dir, state dir, repository, config. */
export interface TestWorld {
  dir: string;
  stacksDir: string;
  stateDir: string;
  repo: string;
  passwordFile: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function makeWorld(extraConfig = "", opts: { resticBinary?: string } = {}): TestWorld {
  const dir = mkdtempSync(join(tmpdir(), "btui-"));
  const stacksDir = join(dir, "stacks");
  const stateDir = join(dir, "state");
  const repo = join(dir, "repo");
  const passwordFile = join(dir, "restic-password");
  const configFile = join(dir, "config.ini");
  mkdirSync(stacksDir);
  writeFileSync(passwordFile, "test-password-1234\n", { mode: 0o600 });
  writeFileSync(
    configFile,
    [
      "[docker]",
      `DOCKER_STACKS_DIR=${stacksDir}`,
      "STOP_TIMEOUT=10",
      "[local_backup]",
      `RESTIC_REPOSITORY=${repo}`,
      `RESTIC_PASSWORD_FILE=${passwordFile}`,
      opts.resticBinary ? `RESTIC_BINARY=${opts.resticBinary}` : "",
      "KEEP_LAST=3",
      extraConfig,
    ].join("\n") + "\n",
    { mode: 0o600 },
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BACKUP_TUI_CONFIG: configFile,
    BACKUP_TUI_STATE_DIR: stateDir,
    NO_COLOR: "1",
  };
  delete env.RESTIC_PASSWORD;
  return {
    dir,
    stacksDir,
    stateDir,
    repo,
    passwordFile,
    configFile,
    env,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds bin/backup-tui when it is missing or older than any source file. */
export function ensureBinary(): string {
  const newest =
    Number(
      execFileSync("sh", [
        "-c",
        `find ${ROOT}/src ${ROOT}/scripts/build.mjs -type f -printf '%T@\\n' | sort -n | tail -1`,
      ])
        .toString()
        .trim(),
    ) * 1000;
  if (!existsSync(BIN) || statSync(BIN).mtimeMs < newest) {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error("build failed");
  }
  chmodSync(BIN, 0o755);
  return BIN;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled binary to completion. */
export function cli(world: Pick<TestWorld, "env">, args: string[], extraEnv: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(BIN, args, { env: { ...world.env, ...extraEnv }, encoding: "utf8", timeout: 280_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the binary without blocking the event loop (the test may serve HTTP meanwhile). */
export function cliAsync(
  world: Pick<TestWorld, "env">,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { ...world.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

/** restic against the world's repository, for assertions. */
export function restic(world: TestWorld, args: string[], binary = "restic"): string {
  return execFileSync(binary, args, {
    env: {
      ...process.env,
      RESTIC_REPOSITORY: world.repo,
      RESTIC_PASSWORD_FILE: world.passwordFile,
      RESTIC_PASSWORD: undefined,
    },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** The result object of a --json run (events are JSON lines on the same stdout). */
export function resultOf<T = Record<string, unknown>>(stdout: string, type: string): T {
  const found = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type?: string })
    .find((o) => o.type === type);
  if (!found) throw new Error(`no ${type} result in:\n${stdout.slice(-2000)}`);
  return found as T;
}
