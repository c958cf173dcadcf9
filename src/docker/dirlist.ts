import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, posix } from "node:path";
import lockfile from "proper-lockfile";
import { writeTextAtomic } from "../state/atomic-file";
import { BusyError, ConfigError, UsageError } from "../errors";

/** One stack or external directory named in the dirlist file. */
export interface DirlistEntry {
  kind: "stack" | "external";
  /** The stack name, or the absolute path of an external directory. */
  name: string;
  enabled: boolean;
}

/** What a stack name in the dirlist may be. */
export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_BYTES = 1024 * 1024;
const HINT = "Each line is +name, -name, EXT:/absolute/path, -EXT:/absolute/path, or a # comment.";

/** The key an entry is known by: the stack name, or EXT:/path (stack names cannot hold ':'). */
export function entryKey(e: Pick<DirlistEntry, "kind" | "name">): string {
  return e.kind === "external" ? `EXT:${e.name}` : e.name;
}

/** A line split so an edit can rewrite the entry and keep the indentation and inline comment. */
interface Line {
  raw: string;
  entry?: DirlistEntry;
  indent: string;
  tail: string;
}

type Refusal = { error: string };

/** Reads `+name`, `-name`, `name`, `EXT:/p`, `+EXT:/p`, `-EXT:/p`; returns the entry or why it is refused. */
function parseToken(token: string): DirlistEntry | Refusal {
  const [, sign, body] = /^([+-]?)\s*(.*)$/s.exec(token)!;
  const enabled = sign !== "-";
  if (body.startsWith("EXT:")) {
    const path = checkExternalPath(body.slice(4).trim());
    return typeof path === "string" ? { kind: "external", name: path, enabled } : path;
  }
  if (!STACK_NAME.test(body))
    return { error: "a stack name is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit" };
  return { kind: "stack", name: body, enabled };
}

/** External paths are absolute and free of `..`, so an entry can never climb out of where it points. */
export function checkExternalPath(p: string): string | Refusal {
  if (/[\u0000-\u001f\u007f]/.test(p)) return { error: "an external path must not contain control characters" };
  if (!p.startsWith("/")) return { error: "an external path must be absolute (start with /)" };
  if (p.split("/").includes("..")) return { error: "an external path must not contain '..' segments" };
  const normal = posix.normalize(p);
  return normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
}

function decode(text: string | Buffer, file: string): string {
  if (text.length > MAX_BYTES) throw new ConfigError(`${file}: too large for a dirlist file`, HINT);
  let s: string;
  if (typeof text === "string") s = text.replace(/^\uFEFF/, "");
  else {
    try {
      s = new TextDecoder("utf-8", { fatal: true }).decode(text);
    } catch {
      throw new ConfigError(`${file}: not valid UTF-8 text`, "Save the dirlist file as UTF-8.");
    }
  }
  if (s.includes("\0")) throw new ConfigError(`${file}: contains NUL bytes; it is not a dirlist file`, HINT);
  return s;
}

function parseLines(
  text: string | Buffer,
  file: string,
): { lines: Line[]; eol: string; finalEol: boolean; warnings: string[] } {
  const s = decode(text, file);
  const eol = s.includes("\r\n") ? "\r\n" : "\n";
  const rows = s.split(/\r?\n/);
  const finalEol = rows.at(-1) === "";
  if (finalEol) rows.pop();
  const seen = new Map<string, number>();
  const warnings: string[] = [];
  const lines = rows.map((raw, i): Line => {
    // An inline comment needs whitespace before its '#', so a path such as /data/a#1 stays whole.
    const [, indent, token = "", tail] = /^(\s*)(\S.*?)?(\s+#.*|\s*)$/s.exec(raw)!;
    if (!token || token.startsWith("#")) return { raw, indent, tail };
    const entry = parseToken(token);
    if ("error" in entry)
      throw new ConfigError(`${file}:${i + 1}: ${entry.error}: ${JSON.stringify(token.slice(0, 80))}`, HINT);
    const key = entryKey(entry);
    const before = seen.get(key);
    if (before) warnings.push(`${file}:${i + 1}: ${key} is also listed on line ${before}; the last one wins`);
    seen.set(key, i + 1);
    return { raw, entry, indent, tail };
  });
  return { lines, eol, finalEol, warnings };
}

/** Parses a dirlist. Hostile or malformed lines throw ConfigError (exit 78) naming file:line. */
export function parseDirlist(text: string | Buffer, file: string): { entries: DirlistEntry[]; warnings: string[] } {
  const { lines, warnings } = parseLines(text, file);
  const byKey = new Map<string, DirlistEntry>();
  for (const l of lines) if (l.entry) byKey.set(entryKey(l.entry), l.entry);
  return { entries: [...byKey.values()], warnings };
}

function formatEntry(e: DirlistEntry): string {
  return e.kind === "external" ? `${e.enabled ? "" : "-"}EXT:${e.name}` : `${e.enabled ? "+" : "-"}${e.name}`;
}

/**
 * Writes entries back into the original text: comments, blank lines, order and the spelling of
 * unchanged lines stay as they were; changed entries are rewritten in place (keeping their inline
 * comment), removed ones dropped, new ones appended.
 */
export function serializeDirlist(entries: readonly DirlistEntry[], original: string | Buffer = ""): string {
  const { lines, eol, finalEol } = parseLines(original, "dirlist");
  const wanted = new Map(entries.map((e) => [entryKey(e), e]));
  const lastLine = new Map<string, Line>();
  for (const l of lines) if (l.entry) lastLine.set(entryKey(l.entry), l);
  const out: string[] = [];
  for (const l of lines) {
    if (!l.entry) {
      out.push(l.raw);
      continue;
    }
    const key = entryKey(l.entry);
    const want = wanted.get(key);
    if (!want) continue;
    // Earlier duplicates stay as written: the last occurrence decides, and that is the one updated.
    if (lastLine.get(key) !== l || want.enabled === l.entry.enabled) out.push(l.raw);
    else out.push(`${l.indent}${formatEntry(want)}${l.tail}`);
  }
  const kept = out.length;
  for (const [key, e] of wanted) if (!lastLine.has(key)) out.push(formatEntry(e));
  if (!out.length) return "";
  return out.join(eol) + (finalEol || out.length > kept || lines.length === 0 ? eol : "");
}

/** The dirlist as an edit sees it: entries by key, in file order. */
export class EditableDirlist {
  readonly #entries: Map<string, DirlistEntry>;
  constructor(entries: readonly DirlistEntry[]) {
    this.#entries = new Map(entries.map((e) => [entryKey(e), { ...e }]));
  }
  get entries(): DirlistEntry[] {
    return [...this.#entries.values()].map((e) => ({ ...e }));
  }
  /** By stack name or EXT:/path (spelt any way the file accepts). */
  get(name: string): DirlistEntry | undefined {
    const e = this.#entries.get(keyOf(name));
    return e && { ...e };
  }
  /** Validated like a line of the file, so an edit can never write what a read would refuse. */
  set(entry: DirlistEntry): void {
    const e = entryFromArgument(formatEntry(entry), entry.enabled);
    this.#entries.set(entryKey(e), e);
  }
  remove(name: string): boolean {
    return this.#entries.delete(keyOf(name));
  }
}

/** The key of `web`, `EXT:/srv/data/` and the like; what does not parse cannot be listed, so is its own key. */
function keyOf(name: string): string {
  const e = parseToken(name.trim());
  return "error" in e ? name : entryKey(e);
}

/** Turns a user's argument (`web`, `EXT:/srv/data`) into an entry, refusing what the file would refuse. */
function entryFromArgument(arg: string, enabled: boolean): DirlistEntry {
  const e = parseToken(arg.trim());
  if ("error" in e)
    throw new UsageError(
      `${e.error}: ${JSON.stringify(arg.slice(0, 80))}`,
      "Name a stack, or an external directory as EXT:/absolute/path.",
    );
  return { ...e, enabled };
}

/** The dirlist file on disk: reads are lock-free; every change is a locked read-modify-write. */
export class DirlistFile {
  constructor(readonly path: string) {}

  /** What is enabled, as stack names and EXT:/path keys (the names runs are recorded under). */
  enabledKeys(): string[] {
    return this.read()
      .entries.filter((e) => e.enabled)
      .map(entryKey);
  }

  /** A missing file is an empty list. */
  read(): { entries: DirlistEntry[]; warnings: string[] } {
    const bytes = this.#readBytes();
    return bytes ? parseDirlist(bytes, this.path) : { entries: [], warnings: [] };
  }

  /** undefined: the stack (or EXT:/path) is not listed. */
  isEnabled(stackName: string): boolean | undefined {
    const key = keyOf(stackName);
    return this.read().entries.find((e) => entryKey(e) === key)?.enabled;
  }

  /** Read-modify-write under a lock beside the file; written only when the text changes. */
  async edit<T>(fn: (doc: EditableDirlist) => T | Promise<T>): Promise<T> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    let release: () => Promise<void>;
    // proper-lockfile's default throws from a timer, which would crash the process; refuse the write instead.
    let compromised = false;
    try {
      release = await lockfile.lock(this.path, {
        realpath: false,
        lockfilePath: `${this.path}.lock`,
        stale: 10_000,
        onCompromised: () => void (compromised = true),
        retries: { retries: 30, factor: 1.2, minTimeout: 20, maxTimeout: 250 }, // ~5 s in all
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      throw new BusyError(`${this.path} is being edited by another process`, "Try again in a moment.");
    }
    try {
      const bytes = this.#readBytes();
      const original = bytes ? decode(bytes, this.path) : "";
      const doc = new EditableDirlist(parseDirlist(original, this.path).entries);
      const result = await fn(doc);
      const text = serializeDirlist(doc.entries, original);
      if (text !== original) {
        if (compromised)
          throw new BusyError(`lost the lock on ${this.path} while editing it; nothing was written`, "Try again.");
        this.#writeAtomic(text);
      }
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }

  async enable(name: string): Promise<void> {
    const e = entryFromArgument(name, true);
    await this.edit((doc) => doc.set(e));
  }

  async disable(name: string): Promise<void> {
    const e = entryFromArgument(name, false);
    await this.edit((doc) => doc.set(e));
  }

  /** Resolves to the key as written: the path normalised ("EXT:/srv/data"). */
  async addExternal(path: string, enabled = true): Promise<string> {
    const e = entryFromArgument(`EXT:${path}`, enabled);
    await this.edit((doc) => doc.set(e));
    return entryKey(e);
  }

  /**
   * Brings the list in line with the stacks found on this host: new ones are added disabled (no
   * stack is stopped unless the user asked), vanished stacks are dropped, external entries stay.
   * `discovered` must be a complete discovery: an empty list from a failed one would drop every stack.
   */
  async sync(discovered: string[]): Promise<{ added: string[]; removed: string[]; skipped: string[] }> {
    const valid = discovered.filter((n) => STACK_NAME.test(n));
    const skipped = discovered.filter((n) => !STACK_NAME.test(n));
    const found = new Set(valid);
    return this.edit((doc) => {
      const removed: string[] = [];
      for (const e of doc.entries) {
        if (e.kind === "stack" && !found.has(e.name)) {
          doc.remove(e.name);
          removed.push(e.name);
        }
      }
      const added: string[] = [];
      for (const name of found) {
        if (!doc.get(name)) {
          doc.set({ kind: "stack", name, enabled: false });
          added.push(name);
        }
      }
      return { added, removed, skipped };
    });
  }

  #readBytes(): Buffer | undefined {
    try {
      // A FIFO or /dev/zero would block or fill memory: only a regular file of sane size is read.
      const st = statSync(this.path);
      if (!st.isFile())
        throw new ConfigError(`${this.path} is not a regular file`, "DIRLIST_FILE must name a plain text file.");
      if (st.size > 16 * 1024 * 1024)
        throw new ConfigError(`${this.path}: ${st.size} bytes is too large for a dirlist`);
      return readFileSync(this.path);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new ConfigError(
        `cannot read ${this.path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        "Check the file's permissions.",
      );
    }
  }

  /** tmp + rename, so a reader never sees half a file; a symlinked dirlist stays a symlink. */
  #writeAtomic(text: string): void {
    const target = existsSync(this.path) ? realpathSync(this.path) : this.path;
    writeTextAtomic(target, text, 0o600);
  }
}
