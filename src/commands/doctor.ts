import { existsSync, statfsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/types";
import { StateStore } from "../state/store";
import type { ProbeResult } from "../services/sync/probe";
import { readConfig, type CommandEnv } from "../app";
import { defaultStateDir } from "../config/locate";
import { DockerClient } from "../docker/client";
import { DEFAULT_DOCKER_HOST, readEngineFacts } from "../docker/engine-facts";
import { ComposeCli } from "../docker/compose";
import { ProcessRunner } from "../exec/runner";
import { createLogger } from "../log";
import { table } from "../output";
import { Restic } from "../restic/restic";
import { discoverStacks } from "../docker/discovery";
import { BtrfsProvider } from "../fssnap/btrfs";
import { runDoctor, type Check, type ConfigOutcome, type FsProbe } from "../services/doctor/doctor";
import { Rclone } from "../rclone/rclone";
import { errorMessage } from "../errors";
import { memoryFleetCache } from "../services/fleet/read";
import { hostId } from "../state/host-id";

const realFs: FsProbe = {
  stat(path) {
    try {
      const s = statSync(path);
      return { mode: s.mode & 0o7777, dev: s.dev, isDirectory: s.isDirectory(), uid: s.uid };
    } catch {
      return undefined;
    }
  },
  statfs(path) {
    const s = statfsSync(path);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  },
};

/** Checks every dependency and prints them all; a broken config is one failed check, not the end of the report. */
export async function run(env: CommandEnv, o: { probe?: boolean } = {}): Promise<number> {
  let outcome: ConfigOutcome;
  try {
    outcome = { ok: true, config: readConfig(env.globals) };
  } catch (error) {
    outcome = { ok: false, error, stateDir: defaultStateDir(process.env, process.getuid?.() ?? 1000) };
  }
  const config = outcome.ok ? outcome.config : undefined;
  // No log file: the doctor must not create the state directory it is about to inspect.
  const runner = new ProcessRunner(env.globals.verbose ? createLogger({ stderrLevel: "debug" }) : undefined);
  const docker = new DockerClient();
  const restic = new Restic(runner, {
    binary: config?.restic.binary ?? "restic",
    repository: config?.restic.repository ?? "",
    password: config?.restic.password ?? { kind: "none" },
    workDir: outcome.ok ? outcome.config.stateDir : outcome.stateDir,
  });
  const checks = await runDoctor({
    runner,
    docker,
    compose: new ComposeCli(runner, config?.docker.composeCommand),
    restic,
    config: outcome,
    fs: realFs,
    dockerHost: process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST,
    engineFacts: () => readEngineFacts(process.env),
    signal: env.signal,
    snapshot: config
      ? { stacks: () => discoverStacks(docker, config.docker.stacksDir), providers: [new BtrfsProvider(runner)] }
      : undefined,
    probe:
      config && o.probe !== false
        ? {
            rclone: new Rclone(runner, { binary: config.cloud.binary, configFile: config.cloud.configFile }),
            httpDelete,
            signal: env.signal,
          }
        : undefined,
    fleet: config
      ? {
          restic,
          store: { fleet: memoryFleetCache() },
          machine: hostId(config.stateDir, { create: false }),
          signal: env.signal,
        }
      : undefined,
  });
  if (config) rememberProbes(config, checks, (m) => env.printer.warn(m));
  const count = (s: Check["status"]) => checks.filter((c) => c.status === s).length;
  const ok = count("fail") === 0;
  env.printer.result({ type: "doctor", ok, failed: count("fail"), warnings: count("warn"), checks }, () =>
    render(checks, count("fail"), count("warn")),
  );
  return ok ? 0 : 1;
}

/**
 * The probe's verdicts, for `status` to show: kept in the state database when it exists already
 * (the doctor never creates the state directory it inspects).
 */
function rememberProbes(config: Config, checks: Check[], warn: (message: string) => void): void {
  const probes = checks.filter((c) => c.name.startsWith("copy ")).map((c) => c.data as unknown as ProbeResult);
  const file = join(config.stateDir, "state.db");
  if (!probes.length || !existsSync(file)) return;
  try {
    const store = StateStore.open(file);
    try {
      const at = new Date().toISOString();
      for (const p of probes)
        store.targets.recordProbe(p.target, { location: p.where, verdict: p.verdict, detail: p.detail, at });
    } finally {
      store.close();
    }
  } catch (err) {
    warn(`the probe's verdicts were not kept for status: ${errorMessage(err)}`);
  }
}

/** The REST probe's one request (the URL holds no credentials: they are in the headers). */
async function httpDelete(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<number> {
  const timeout = AbortSignal.timeout(15_000);
  try {
    const res = await fetch(url, {
      method: "DELETE",
      headers,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    return res.status;
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new Error(`no answer from ${new URL(url).host}: ${cause ? errorMessage(cause) : errorMessage(err)}`);
  }
}

function render(checks: Check[], failures: number, warnings: number): string {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, "; ");
  const lines = [
    table(
      ["STATUS", "CHECK", "DETAIL"],
      checks.map((c) => [c.status.toUpperCase(), c.name, oneLine(c.detail)]),
    ),
  ];
  const hints = checks.filter((c) => c.status !== "ok" && c.hint);
  if (hints.length) lines.push("", ...hints.map((c) => `${c.name}: ${oneLine(c.hint ?? "")}`));
  lines.push(
    "",
    failures
      ? `${failures} check(s) failed, ${warnings} warning(s)`
      : warnings
        ? `all good, with ${warnings} warning(s)`
        : "all good",
  );
  return lines.join("\n");
}
