import type { Option } from "commander";

/** What a command line without a command does: the TUI on a terminal, the help otherwise. */
export type Entry = "tui" | "help" | "command";

/**
 * Decides from the arguments after the executable: nothing but global options (`--config FILE`,
 * `-c FILE`, `-cFILE`, `--config=FILE`, `-v`, `-q`, `-vq`, `--json`) means no command was given.
 * `-V`/`-h` and anything unknown, a missing option value included, go to commander as they are.
 */
export function entryFor(args: readonly string[], globals: readonly Option[], terminal: boolean): Entry {
  const { command, clean } = scan(
    args,
    globals.filter((o) => o.long !== "--version" && o.long !== "--help"),
  );
  if (!clean || command !== undefined) return "command";
  return terminal ? "tui" : "help";
}

/** The command named after the global options (`-c FILE daemon` → "daemon"), if any. */
export function commandName(args: readonly string[], globals: readonly Option[]): string | undefined {
  return scan(args, globals).command;
}

/** Walks the global options; stops at the first argument that is not one (the command). */
function scan(args: readonly string[], options: readonly Option[]): { command?: string; clean: boolean } {
  const takesValue = (o: Option) => o.required || o.optional;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-") || a === "-") return { command: a, clean: true };
    if (a === "--") return { command: args[i + 1], clean: false };
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const o = options.find((x) => x.long === (eq < 0 ? a : a.slice(0, eq)));
      if (!o) return { clean: false };
      if (eq >= 0) {
        if (!takesValue(o)) return { clean: false };
      } else if (o.required && ++i >= args.length) return { clean: false };
      continue;
    }
    // A cluster of short flags; one that takes a value takes the rest of the cluster, or the next argument.
    for (let j = 1; j < a.length; j++) {
      const o = options.find((x) => x.short === `-${a[j]}`);
      if (!o) return { clean: false };
      if (!takesValue(o)) continue;
      if (j === a.length - 1 && o.required && ++i >= args.length) return { clean: false };
      break;
    }
  }
  return { clean: true };
}
