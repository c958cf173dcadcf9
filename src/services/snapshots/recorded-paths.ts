import { posix } from "node:path";
import { btui } from "../../command-hint";
import { AppError, ExitCode } from "../../errors";

// A snapshot's manifest.json and inventory.json are data from the repository: another host
// sharing it, or anyone who can write to it, decides what they say. Every path and name taken
// from them is checked before it reaches restic, rclone, docker or the filesystem.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Docker's own rule for network and volume names. */
const ENGINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Why `path` is not a clean absolute path (under one of `roots`, when given); undefined when it is. */
export function unsafePathReason(path: unknown, roots?: readonly string[]): string | undefined {
  if (typeof path !== "string" || !path) return "it is not a path";
  if (CONTROL.test(path)) return "it holds a control character";
  if (!path.startsWith("/")) return "it is not absolute";
  if (path.split("/").some((part) => part === ".." || part === ".")) return 'it holds a "." or ".." component';
  if (roots) {
    const clean = posix.normalize(path).replace(/\/+$/, "") || "/";
    const inside = roots.some((r) => {
      const root = posix.normalize(r).replace(/\/+$/, "") || "/";
      return root === "/" || clean === root || clean.startsWith(`${root}/`);
    });
    if (!inside) return `it is not inside the snapshot's paths (${roots.join(", ") || "none"})`;
  }
  return undefined;
}

/** Why `name` is no valid Docker network, volume or image name; undefined when it is. */
export function unsafeNameReason(name: unknown, kind: "engine" | "image" = "engine"): string | undefined {
  if (typeof name !== "string" || !name) return "it is not a name";
  if (CONTROL.test(name) || /\s/.test(name)) return "it holds a space or a control character";
  if (kind === "engine" ? !ENGINE_NAME.test(name) : !/^[A-Za-z0-9]/.test(name))
    return "it does not start with a letter or digit";
  return undefined;
}

/** Collects the unsafe entries of one recorded file; `refuse` throws one AppError naming them. */
export class RecordedFileCheck {
  private readonly problems: string[] = [];

  constructor(
    private readonly file: string,
    private readonly snapshot: string,
  ) {}

  path(field: string, value: unknown, roots?: readonly string[]): void {
    const why = unsafePathReason(value, roots);
    if (why) this.problems.push(`${field} ${JSON.stringify(value)}: ${why}`);
  }

  optionalPath(field: string, value: unknown, roots?: readonly string[]): void {
    if (value !== undefined && value !== null && value !== "") this.path(field, value, roots);
  }

  name(field: string, value: unknown, kind: "engine" | "image" = "engine"): void {
    const why = unsafeNameReason(value, kind);
    if (why) this.problems.push(`${field} ${JSON.stringify(value)}: ${why}`);
  }

  refuse(): void {
    if (!this.problems.length) return;
    const shown =
      this.problems.slice(0, 5).join("; ") +
      (this.problems.length > 5 ? `; ... (${this.problems.length - 5} more)` : "");
    throw Object.assign(
      new AppError(
        `snapshot ${this.snapshot.slice(0, 8)}'s ${this.file} names unsafe paths or names, refused before anything was restored or changed: ${shown}`,
        ExitCode.failed,
        `Paths there must be absolute, without "." or ".." or control characters, and inside the snapshot. This snapshot was not written by backup-tui as it is, or was altered: pick another one (\`${btui("snapshots")}\`) and check the repository (\`${btui("verify --level data")}\`).`,
      ),
      { kind: "unsafe-recorded-path" },
    );
  }
}
