// The layering rules of docs/ARCHITECTURE.md, checked on the source: who may import whom, where
// processes are spawned, where the process exits, and that nothing prints behind the printer's back.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SRC = join(ROOT, "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const FILES = sources(SRC).map((path) => ({ path, name: relative(SRC, path), text: readFileSync(path, "utf8") }));

/** The modules a file imports (static, dynamic and type imports), as paths under src or package names. */
function imports(file: { path: string; text: string }): string[] {
  const specs = [...file.text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith(".") ? relative(SRC, resolve(dirname(file.path), s)) : s));
}

function offenders(from: RegExp, to: RegExp): string[] {
  return FILES.filter((f) => from.test(f.name)).flatMap((f) =>
    imports(f)
      .filter((i) => to.test(i))
      .map((i) => `${f.name} imports ${i}`),
  );
}

describe("layering", () => {
  it("Given the TUI, When its imports are read, Then none reaches a command (both call the use cases)", () => {
    expect(FILES.some((f) => f.name.startsWith("tui/"))).toBe(true);
    expect(offenders(/^tui\//, /^commands\//)).toEqual([]);
  });

  it("Given the services, When their imports are read, Then none reaches a command, the TUI, a use case or the app", () => {
    expect(offenders(/^services\//, /^(commands|tui|usecases)\/|^(app|cli|cli-entry|main)$/)).toEqual([]);
  });

  it("Given the use cases, When their imports are read, Then none reaches a command or the TUI", () => {
    expect(offenders(/^usecases\//, /^(commands|tui)\/|^(cli|cli-entry|main)$/)).toEqual([]);
  });

  it("Given the lower layers, When their imports are read, Then none reaches up into services, use cases, commands or the TUI", () => {
    const lower = /^(docker|restic|rclone|exec|state|fsops|fssnap|security|notify|schedule|config)\//;
    expect(offenders(lower, /^(services|usecases|commands|tui)\//)).toEqual([]);
  });
});

describe("effects", () => {
  it("Given the services, When their imports are read, Then none touches the filesystem itself (src/fsops does)", () => {
    expect(offenders(/^services\//, /^(node:)?fs(\/promises)?$/)).toEqual([]);
  });

  it("Given the source, When its relative imports are followed, Then no module imports itself back", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "import-cycles.mjs")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toContain("no import cycles");
    expect(r.status).toBe(0);
  });

  it("Given the source, When searched for process spawning, Then only the runner spawns (execa, child_process)", () => {
    const spawning = FILES.filter((f) => imports(f).some((i) => /^(execa|node:child_process|child_process)$/.test(i)));
    expect(spawning.map((f) => f.name)).toEqual(["exec/runner.ts"]);
  });

  it("Given the source, When searched for process.exit, Then only cli.ts ends the process", () => {
    const exiting = FILES.filter((f) => /\bprocess\.exit\s*\(/.test(f.text));
    expect(exiting.map((f) => f.name)).toEqual(["cli.ts"]);
  });

  it("Given the source, When searched for console calls, Then there are none (the printer and the logger speak)", () => {
    const printing = FILES.filter((f) => /\bconsole\.(log|error|warn|info|debug)\s*\(/.test(f.text));
    expect(printing.map((f) => f.name)).toEqual([]);
  });
});
