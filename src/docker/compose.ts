import type { Runner } from "../exec/runner";
import { AppError, ExitCode } from "../errors";
import { dockerPluginFiles, onPath, type VersionCache } from "../state/version-cache";

/** Everything needed to address a Compose project exactly as its owner does. */
export interface ComposeTarget {
  project: string;
  workingDir?: string;
  configFiles: string[];
  envFiles: string[];
}

/** docker compose (v2) or docker-compose (v1), driven through the process runner. */
export class ComposeCli {
  constructor(
    private readonly runner: Runner,
    private readonly configured?: string,
    /** What answered `version`, remembered per binary and plugin (path, size, mtime). */
    private readonly versions?: VersionCache,
  ) {}

  private found?: Promise<{ cmd: string[]; version: string }>;

  /** v2 when it answers, else v1; with its version, from one `version` call (none while the binaries are unchanged). */
  private probe(): Promise<{ cmd: string[]; version: string }> {
    this.found ??= (async () => {
      const candidates = this.configured ? [this.configuredCmd()] : [["docker", "compose"], ["docker-compose"]];
      if (!this.versions) return this.detectAmong(candidates);
      const files = [...new Set(candidates.map((c) => onPath(c[0])))];
      if (candidates.some((c) => c[0] === "docker")) files.push(...dockerPluginFiles("compose"));
      const key = `compose ${this.configured ?? "detected"}`;
      const found = await this.versions.get(key, files, async () => JSON.stringify(await this.detectAmong(candidates)));
      return JSON.parse(found) as { cmd: string[]; version: string };
    })();
    return this.found;
  }

  private async detectAmong(candidates: string[][]): Promise<{ cmd: string[]; version: string }> {
    for (const cmd of candidates) {
      try {
        const r = await this.runner.run(cmd[0], [...cmd.slice(1), "version"], { timeoutMs: 15_000 });
        return { cmd, version: /v?(\d+\.\d+\.\d+[\w.+-]*)/.exec(r.stdout)?.[1] ?? "unknown" };
      } catch {
        // try the next one
      }
    }
    throw new AppError(
      this.configured
        ? `COMPOSE_COMMAND ${JSON.stringify(this.configured)} does not answer \`version\``
        : "neither `docker compose` (v2) nor `docker-compose` (v1) is available",
      ExitCode.failed,
      "Install the Compose plugin, or set COMPOSE_COMMAND in [docker].",
    );
  }

  private configuredCmd(): string[] {
    return (this.configured ?? "").split(/\s+/).filter(Boolean);
  }

  /** The compose command in use: COMPOSE_COMMAND as given (its own errors speak for it), else detected. */
  async detect(): Promise<string[]> {
    return this.configured ? this.configuredCmd() : (await this.probe()).cmd;
  }

  async version(): Promise<string> {
    return (await this.probe()).version;
  }

  async down(t: ComposeTarget, o: { stopTimeoutSec: number; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    await this.run(t, ["down", "--timeout", String(o.stopTimeoutSec)], o);
  }

  /** Brings back exactly the named services (naming them also activates their profiles). */
  async up(t: ComposeTarget, services: string[], o: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    await this.run(t, ["up", "-d", ...services], o);
  }

  private async run(t: ComposeTarget, args: string[], o: { timeoutMs: number; signal?: AbortSignal }) {
    const cmd = await this.detect();
    const base = [...cmd.slice(1), "--project-name", t.project];
    if (t.workingDir) base.push("--project-directory", t.workingDir);
    for (const f of t.configFiles) base.push("-f", f);
    for (const e of t.envFiles) base.push("--env-file", e);
    await this.runner.run(cmd[0], [...base, ...args], { cwd: t.workingDir, timeoutMs: o.timeoutMs, signal: o.signal });
  }
}
