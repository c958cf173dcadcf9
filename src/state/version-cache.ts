import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import { writeJsonAtomic } from "./atomic-file";

/** Where the Docker CLI looks for plugins (docker compose is one): a new or updated plugin changes the stamp. */
export function dockerPluginFiles(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const config = env.DOCKER_CONFIG || join(homedir(), ".docker");
  return [
    join(config, "cli-plugins"),
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
  ].map((d) => join(d, `docker-${name}`));
}

/** The file a command name runs: itself when it has a slash, else the first match on PATH. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): string {
  if (command.includes("/")) return command;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const p = join(dir, command);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return command;
}

/**
 * Tool versions remembered per binary: asking restic and Compose for theirs costs 0.1–0.15 s on
 * every run's critical path. A value is used only while every file it depends on has the same
 * path, size and modification time (a missing file counts too), so replacing a binary or
 * installing a plugin asks again. A failure to answer is never remembered.
 */
export class VersionCache {
  constructor(private readonly file: string) {}

  async get(key: string, files: string[], compute: () => Promise<string>): Promise<string> {
    const stamp = files.map(stampOf).join("|");
    const all = this.read();
    const hit = all[key];
    if (hit?.stamp === stamp) return hit.value;
    const value = await compute();
    try {
      writeJsonAtomic(this.file, { ...this.read(), [key]: { stamp, value } });
    } catch {
      // a read-only state dir: asked again next time
    }
    return value;
  }

  private read(): Record<string, { stamp: string; value: string }> {
    try {
      const v = JSON.parse(readFileSync(this.file, "utf8")) as unknown;
      return v && typeof v === "object" ? (v as Record<string, { stamp: string; value: string }>) : {};
    } catch {
      return {};
    }
  }
}

function stampOf(file: string): string {
  try {
    const st = statSync(file);
    return `${file}:${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return `${file}:-`;
  }
}
