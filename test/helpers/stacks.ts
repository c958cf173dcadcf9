import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const IMAGE = "local/busybox:latest";
/** A service that exits promptly on TERM (PID 1 sh ignores it otherwise) and keeps writing. */
export const LOOP = `trap 'exit 0' TERM; while true; do sleep 1; done`;

export interface ServiceSpec {
  /** Default: the busybox test image. */
  image?: string;
  command?: string;
  volumes?: string[];
  dependsOn?: string[];
  labels?: Record<string, string>;
  restart?: string;
}

export function docker(args: string[], input?: string): string {
  return execFileSync("docker", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/** Writes compose.yaml for a stack under stacksDir/name and returns its directory. */
export function writeStack(
  stacksDir: string,
  name: string,
  services: Record<string, ServiceSpec>,
  namedVolumes: string[] = [],
): string {
  const dir = join(stacksDir, name);
  mkdirSync(dir, { recursive: true });
  const lines = ["services:"];
  for (const [svc, s] of Object.entries(services)) {
    lines.push(
      `  ${svc}:`,
      `    image: ${s.image ?? IMAGE}`,
      `    command: ["sh", "-c", ${JSON.stringify(s.command ?? LOOP)}]`,
      "    stop_grace_period: 5s",
    );
    if (s.restart) lines.push(`    restart: ${s.restart}`);
    if (s.volumes?.length) lines.push("    volumes:", ...s.volumes.map((v) => `      - ${JSON.stringify(v)}`));
    if (s.dependsOn?.length) lines.push("    depends_on:", ...s.dependsOn.map((d) => `      - ${d}`));
    if (s.labels)
      lines.push("    labels:", ...Object.entries(s.labels).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`));
  }
  if (namedVolumes.length) lines.push("volumes:", ...namedVolumes.map((v) => `  ${v}: {}`));
  writeFileSync(join(dir, "compose.yaml"), lines.join("\n") + "\n");
  return dir;
}

export function composeUp(dir: string): void {
  execFileSync("docker", ["compose", "up", "-d", "--quiet-pull"], { cwd: dir, stdio: "pipe" });
}

export function composeDown(dir: string): void {
  try {
    execFileSync("docker", ["compose", "down", "-v", "--timeout", "2"], { cwd: dir, stdio: "pipe" });
  } catch {
    // already gone
  }
}

/** name → status of a project's containers. */
export function containerStates(project: string): Record<string, string> {
  const out = docker([
    "ps",
    "-a",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--format",
    "{{.Names}} {{.State}}",
  ]);
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ") as [string, string]),
  );
}

export function volumeMountpoint(volume: string): string {
  return docker(["volume", "inspect", "-f", "{{.Mountpoint}}", volume]).trim();
}

/** Runs sh -c in a service's container. */
export function execIn(container: string, script: string): string {
  return docker(["exec", container, "sh", "-c", script]);
}

export interface ContainerEvent {
  atMs: number;
  action: string;
  name: string;
}

/** Container events of a project since a time (ms), oldest first, from `docker events`. */
export function containerEvents(project: string, sinceMs: number): ContainerEvent[] {
  const out = docker([
    "events",
    "--since",
    new Date(sinceMs - 2000).toISOString(),
    "--until",
    new Date(Date.now() + 1000).toISOString(),
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--filter",
    "type=container",
    "--format",
    "{{.TimeNano}} {{.Action}} {{.Actor.Attributes.name}}",
  ]);
  // exec events carry the command (which may span lines) in their action: keep well-formed lines only.
  return out
    .trim()
    .split("\n")
    .filter((l) => /^\d+ \S+ \S+$/.test(l))
    .map((l) => l.split(" "))
    .map(([t, action, name]) => ({ atMs: Number(BigInt(t) / 1_000_000n), action, name }))
    .filter((e) => e.atMs >= sinceMs);
}
